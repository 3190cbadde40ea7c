# Sourced by .ci/run: a throw-away PostgreSQL cluster for the store's
# Postgres tests. It installs Debian's postgresql when it is missing, creates
# a cluster in a temporary directory as the postgres user, starts it on
# 127.0.0.1 at a free port, creates a role with a random password and a
# database it owns, and exports ITUWATCH_TEST_PG_DSN for `go test` (with
# ITUWATCH_TEST_REQUIRE_PG=1, so that the Postgres tests fail rather than
# skip if that did not work). The cluster is stopped and removed when the
# sourcing shell exits. It must run as root (CI does): the server refuses
# to run as root, so everything server-side runs as postgres.
#
# Running it twice (or two CI jobs on one machine) is fine: each run gets its
# own directory and port.

ituwatch_pg_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

ituwatch_pg_free_port() {
	local port
	for port in $(seq 55432 55631); do
		# A port nothing answers on, and no socket file of another cluster.
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# ituwatch_pg_root runs a command as root: directly when CI runs as root,
# through passwordless sudo otherwise.
ituwatch_pg_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif sudo -n true 2>/dev/null; then
		sudo -n "$@"
	else
		echo ".ci/postgres.sh: needs root or passwordless sudo (it installs postgresql and starts it as the postgres user)" >&2
		return 1
	fi
}

# ituwatch_pg_as_postgres runs a command as the postgres user.
ituwatch_pg_as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		sudo -n -u postgres -- "$@"
	fi
}

ituwatch_pg_start() {
	local bin
	bin=$(ituwatch_pg_bin) || true
	if [ -z "$bin" ]; then
		ituwatch_pg_root apt-get update
		ituwatch_pg_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
		bin=$(ituwatch_pg_bin) || { echo ".ci/postgres.sh: postgresql installed but no initdb under /usr/lib/postgresql/*/bin" >&2; return 1; }
	fi

	ITUWATCH_PG_DIR=$(mktemp -d /tmp/ituwatch-ci-pg.XXXXXX)
	chmod 755 "$ITUWATCH_PG_DIR"
	ituwatch_pg_root chown postgres: "$ITUWATCH_PG_DIR"
	local port password
	port=$(ituwatch_pg_free_port) || { echo ".ci/postgres.sh: no free port in 55432-55631" >&2; return 1; }
	password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	
	# Local (socket) connections for the postgres user by peer; TCP ones
	# need the password, so the tests also meet a server that checks it.
	ituwatch_pg_as_postgres "$bin/initdb" -D "$ITUWATCH_PG_DIR/data" -U postgres \
		--auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
	ituwatch_pg_as_postgres "$bin/pg_ctl" -D "$ITUWATCH_PG_DIR/data" -l "$ITUWATCH_PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $ITUWATCH_PG_DIR -c fsync=off -c max_connections=200" start >/dev/null || {
		echo ".ci/postgres.sh: the server did not start; its log:" >&2
		cat "$ITUWATCH_PG_DIR/server.log" >&2
		return 1
	}
	ITUWATCH_PG_STOP="ituwatch_pg_as_postgres $bin/pg_ctl -D $ITUWATCH_PG_DIR/data -m fast -w stop >/dev/null; ituwatch_pg_root rm -rf $ITUWATCH_PG_DIR"
	ituwatch_pg_as_postgres "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$ITUWATCH_PG_DIR" -p "$port" -U postgres -d postgres \
		-c "CREATE ROLE ituwatch LOGIN PASSWORD '$password'" \
		-c "CREATE DATABASE ituwatch_test OWNER ituwatch"

	export ITUWATCH_TEST_PG_DSN="postgres://ituwatch:$password@127.0.0.1:$port/ituwatch_test?sslmode=disable"
	export ITUWATCH_TEST_REQUIRE_PG=1
	echo "postgres: test cluster on 127.0.0.1:$port (data in $ITUWATCH_PG_DIR)"
}

ituwatch_pg_stop() {
	if [ -n "${ITUWATCH_PG_STOP:-}" ]; then
		eval "$ITUWATCH_PG_STOP"
		ITUWATCH_PG_STOP=
	fi
}

ituwatch_pg_start
# Keep whatever EXIT trap the sourcing script set (the Chromium part may).
trap "ituwatch_pg_stop; $(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")" EXIT
