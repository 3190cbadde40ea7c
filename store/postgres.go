package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Driver names, as in the config's store.driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// OpenDriver opens the store of the given driver: target is the database
// file for "sqlite" (as Open) and the connection string for "postgres".
// The connection string may hold a password: it never appears in an error.
func OpenDriver(ctx context.Context, driverName, target string) (*Store, error) {
	switch driverName {
	case "", DriverSQLite:
		return Open(ctx, target)
	case DriverPostgres:
		return openPostgres(ctx, target)
	}
	return nil, fmt.Errorf("open store: unknown driver %q; store.driver must be sqlite or postgres", driverName)
}

// Driver reports which database the store keeps its data in: "sqlite" or
// "postgres".
func (s *Store) Driver() string {
	if s.pg {
		return DriverPostgres
	}
	return DriverSQLite
}

// Pool sizes on Postgres. The server runs queries of many connections at
// once (unlike SQLite's one writer), so reads and writes share one pool; it
// stays small because every connection is a server process and several
// instances share one server (three instances take 3 × (storeConns +
// adapterConns) of the default max_connections of 100). Adapters (the
// mautrix crypto store) get a pool of their own so that they can never
// starve the store's writes, nor the store theirs.
const (
	storeConns   = 10
	adapterConns = 4
)

// On Postgres the store works without the SQLite machinery:
//   - no group commit: concurrent transactions commit in parallel on their
//     own connections, and the server already shares WAL flushes between
//     commits that arrive together; funnelling every write through one
//     connection would only serialise them (and several instances write
//     to one server anyway). A transaction that loses a deadlock or
//     serialisation race is run again (see pgRetryable).
//   - no statement cache of our own: pgx prepares and caches each distinct
//     statement per connection (QueryExecModeCacheStatement).
//   - no checkpointer: the server checkpoints in its own processes.
//   - no deferred search indexing: the items table keeps a stored
//     generated tsvector column, written with the row and indexed by GIN
//     (migration 0001 for postgres).
func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, errors.New("open postgres store: the connection string is empty; set store.dsn, e.g. \"${ITUWATCH_PG_DSN}\", and export ITUWATCH_PG_DSN=postgres://user:password@host:5432/dbname")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: store.dsn is not a PostgreSQL connection string (%s); write it as postgres://user:password@host:5432/dbname?sslmode=disable", scrubDSN(err.Error(), dsn, ""))
	}
	where := pgWhere(cfg)
	password := cfg.Password
	fail := func(doing string, err error) error {
		return &pgOpenError{msg: fmt.Sprintf("open postgres store %s: %s: %s", where, doing, scrubDSN(pgHint(err), dsn, password)), err: err}
	}
	s := &Store{now: time.Now, pg: true}
	s.w = sql.OpenDB(rewritingConnector{stdlib.GetConnector(*cfg)})
	s.w.SetMaxOpenConns(storeConns)
	s.w.SetMaxIdleConns(storeConns / 2)
	s.w.SetConnMaxIdleTime(5 * time.Minute)
	s.r = s.w
	// mautrix writes Postgres's own $n parameters: its pool is not rewritten.
	s.adapter = sql.OpenDB(stdlib.GetConnector(*cfg))
	s.adapter.SetMaxOpenConns(adapterConns)
	s.adapter.SetMaxIdleConns(2)
	s.adapter.SetConnMaxIdleTime(5 * time.Minute)
	if err := s.w.PingContext(ctx); err != nil {
		s.Close()
		return nil, fail("connect", err)
	}
	if err := migratePostgres(ctx, s.w); err != nil {
		s.Close()
		return nil, fail("bring the schema up to date", err)
	}
	return s, nil
}

// pgWhere names the server and database of cfg for messages: never the
// user's password.
func pgWhere(cfg *pgx.ConnConfig) string {
	host := cfg.Host
	if !strings.HasPrefix(host, "/") {
		host = net.JoinHostPort(host, fmt.Sprint(cfg.Port))
	}
	return fmt.Sprintf("%s/%s (user %s)", host, cfg.Database, cfg.User)
}

// pgHint adds to a connection error what the user can do about it.
func pgHint(err error) string {
	msg := err.Error()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01", "28000":
			return msg + " (check the user name and password in store.dsn)"
		case "3D000":
			return msg + " (create the database, e.g. createdb, or fix its name in store.dsn)"
		case "42501":
			return msg + " (the user needs the right to create tables in the database's schema: GRANT CREATE ON SCHEMA … TO the user, or make it the database's owner)"
		case "53300":
			return msg + " (the server has no free connections: raise max_connections or run fewer instances)"
		}
	}
	switch {
	case strings.Contains(msg, "connection refused"):
		return msg + " (is PostgreSQL running there? check the host and port in store.dsn)"
	case strings.Contains(msg, "no such host"):
		return msg + " (check the host name in store.dsn)"
	case strings.Contains(msg, "timeout"):
		return msg + " (the server did not answer in time: check the host, port and firewall)"
	}
	return msg
}

// scrubDSN removes the connection string and its password from msg, in
// case a driver message ever quotes them.
func scrubDSN(msg, dsn, password string) string {
	if dsn != "" {
		msg = strings.ReplaceAll(msg, dsn, "[store.dsn]")
	}
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "[password]")
	}
	return msg
}

// pgOpenError is an open error whose text has no secrets; the driver's
// error stays reachable for errors.As.
type pgOpenError struct {
	msg string
	err error
}

func (e *pgOpenError) Error() string { return e.msg }
func (e *pgOpenError) Unwrap() error { return e.err }

// pgRetryable reports whether a transaction failed only because it lost a
// race with another (a deadlock, or a serialisation failure), so that
// running it again will do.
func pgRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// rewritingConnector hands out pgx connections that take the store's
// ? parameters (see postgresPlaceholders).
type rewritingConnector struct{ base driver.Connector }

func (c rewritingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*stdlib.Conn)
	if !ok {
		conn.Close()
		return nil, errors.New("the pgx driver returned an unexpected connection type")
	}
	return &rewritingConn{pgxConn: sc}, nil
}

func (c rewritingConnector) Driver() driver.Driver { return c.base.Driver() }

// pgxConn is embedded under this name so that stdlib.Conn's own Conn()
// method (the *pgx.Conn, for code that needs pgx itself) stays promoted.
type pgxConn = stdlib.Conn

// rewritingConn is a pgx connection whose statements are rewritten; all
// else (transactions, pings, session resets, argument checks) is pgx's.
type rewritingConn struct{ *pgxConn }

func (c *rewritingConn) Prepare(query string) (driver.Stmt, error) {
	return c.pgxConn.Prepare(postgresPlaceholders(query))
}

func (c *rewritingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.pgxConn.PrepareContext(ctx, postgresPlaceholders(query))
}

func (c *rewritingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.pgxConn.ExecContext(ctx, postgresPlaceholders(query), args)
}

func (c *rewritingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.pgxConn.QueryContext(ctx, postgresPlaceholders(query), args)
}

// Interfaces database/sql looks for, checked at compile time.
var (
	_ driver.ConnBeginTx        = (*rewritingConn)(nil)
	_ driver.ConnPrepareContext = (*rewritingConn)(nil)
	_ driver.ExecerContext      = (*rewritingConn)(nil)
	_ driver.QueryerContext     = (*rewritingConn)(nil)
	_ driver.Pinger             = (*rewritingConn)(nil)
	_ driver.SessionResetter    = (*rewritingConn)(nil)
	_ driver.NamedValueChecker  = (*rewritingConn)(nil)
)
