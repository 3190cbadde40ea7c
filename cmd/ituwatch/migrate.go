package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ituwatch/ituwatch/store"
)

// migrateEnvDSN is read when --to is "postgres:" alone, so the connection
// string (which may hold a password) need not be typed on a command line
// that others can read in the process list.
const migrateEnvDSN = "ITUWATCH_PG_DSN"

// migrateSkip names the tables migrate does not copy, and why. Every other
// table of either store is copied; a table that is neither in both stores
// nor named here stops the migration (and TestMigrateTablesAccountedFor),
// so a table added later is never left behind silently.
var migrateSkip = map[string]string{
	"schema_migrations": "each store records its own schema version",
	"items_fts":         "SQLite's search index: Postgres indexes items.search_vector as rows arrive",
	"items_fts_data":    "SQLite's search index",
	"items_fts_idx":     "SQLite's search index",
	"items_fts_docsize": "SQLite's search index",
	"items_fts_config":  "SQLite's search index",
	"items_fts_pending": "SQLite's queue of items waiting for its search index",
	"crypto_version":    "the Matrix library's schema version: its own upgrade writes it on Postgres",
	"mx_version":        "the Matrix library's schema version: its own upgrade writes it on Postgres",
	"instances":         "running instances register themselves when they start; the rows here name processes stopped for the migration",
}

// errNoEncryptionBuild: this binary cannot create the Matrix encryption
// tables on Postgres (see createAdapterTables).
var errNoEncryptionBuild = errors.New("this ituwatch was built without Matrix encryption (-tags goolm)")

// migrateAdapterPrefixes are the tables the Matrix adapter's library
// (mautrix) keeps in the store's database for end-to-end encryption. It
// creates them itself, in each database's own dialect, when the bot first
// starts with encryption; migrate has it create them on Postgres (in a
// build with encryption) and copies them, or says it did not.
var migrateAdapterPrefixes = []string{"crypto_", "mx_"}

func isAdapterTable(name string) bool {
	for _, p := range migrateAdapterPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func cmdMigrate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "migrate", "migrate --from sqlite:FILE --to postgres:DSN")
	from := fs.String("from", "", "the store to copy, as sqlite:FILE")
	to := fs.String("to", "", "the empty store to fill, as postgres:DSN; \"postgres:\" alone reads the connection string from $"+migrateEnvDSN)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, ok := strings.CutPrefix(*from, "sqlite:")
	if !ok || path == "" {
		fmt.Fprintf(env.stderr, "--from must name the SQLite store to copy, as sqlite:FILE (e.g. --from sqlite:ituwatch.db)\n")
		fs.Usage()
		return errUsage
	}
	dsn, ok := migrateTarget(*to)
	if !ok {
		fmt.Fprintf(env.stderr, "--to must name the Postgres database to fill, as postgres:DSN (e.g. --to postgres:postgres://ituwatch@db.example.org:5432/ituwatch), or postgres: alone to read $%s\n", migrateEnvDSN)
		fs.Usage()
		return errUsage
	}
	if dsn == "" && env.lookupEnv != nil {
		dsn, _ = env.lookupEnv(migrateEnvDSN)
	}
	if strings.TrimSpace(dsn) == "" {
		return fmt.Errorf("no Postgres connection string: give it after --to postgres: or export %s=postgres://user:password@host:5432/dbname", migrateEnvDSN)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("read the SQLite store %s: %w (give the store.path of the config you ran with)", path, err)
	}
	_, err := migrateStore(ctx, path, dsn, env.stdout)
	return err
}

// migrateTarget reads --to: postgres:DSN, postgres: alone (DSN ""), or a
// bare postgres:// URL.
func migrateTarget(to string) (string, bool) {
	if strings.HasPrefix(to, "postgres://") || strings.HasPrefix(to, "postgresql://") {
		return to, true
	}
	for _, p := range []string{"postgres:", "postgresql:"} {
		if dsn, ok := strings.CutPrefix(to, p); ok {
			return dsn, true
		}
	}
	return "", false
}

// migrateTable is one table's copy.
type migrateTable struct {
	name       string
	cols       []string
	types      []string // the target's type of each column (udt_name: int8, text, …)
	identity   string   // the target's identity column, "" if none
	from, to   int64    // rows in the source, and in the target afterwards
	copiedRows int64
}

// migrateResult is what migrateStore did, for its caller and tests.
type migrateResult struct {
	tables  []*migrateTable
	skipped []string // adapter tables the target lacks
}

// migrateStore copies the SQLite store at path into the empty Postgres
// database of dsn in one transaction, keeping every id, and checks the
// rows of each table. Nothing is written to the target unless all of it
// is. The source is brought up to this version's schema first (as any
// command opening it would); it is otherwise only read.
func migrateStore(ctx context.Context, path, dsn string, out io.Writer) (*migrateResult, error) {
	start := time.Now()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("the Postgres connection string cannot be read; write it as postgres://user:password@host:5432/dbname")
	}
	where := migrateWhere(cfg)
	scrub := func(err error) error {
		msg := err.Error()
		if cfg.Password != "" {
			msg = strings.ReplaceAll(msg, cfg.Password, "[password]")
		}
		return errors.New(strings.ReplaceAll(msg, dsn, "[dsn]"))
	}

	// Both schemas up to date, by the store's own migrations.
	src, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	src.AwaitSearchIndex(ctx)
	if err := src.Close(); err != nil {
		return nil, err
	}
	dst, err := store.OpenDriver(ctx, store.DriverPostgres, dsn)
	if err != nil {
		return nil, err
	}
	if err := dst.Close(); err != nil {
		return nil, err
	}
	if err := migrateAdapterTables(ctx, path, dsn, out); err != nil {
		return nil, scrub(err)
	}

	sdb, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer sdb.Close()
	// One read transaction: a daemon still writing to the file does not
	// change what is copied halfway through (stop it all the same, or its
	// later alerts stay behind in the file).
	stx, err := sdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer stx.Rollback()

	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to Postgres at %s: %w", where, scrub(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	ptx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin on %s: %w", where, scrub(err))
	}
	defer ptx.Rollback(context.WithoutCancel(ctx))

	res, err := migratePlan(ctx, stx, ptx)
	if err != nil {
		return nil, err
	}
	// Types pgx does not know by name, such as the Matrix library's enum
	// (mx_user_profile.membership): COPY writes binary values, for which
	// pgx must know each column's type.
	for _, t := range res.tables {
		for _, typ := range t.types {
			if _, ok := conn.TypeMap().TypeForName(typ); ok {
				continue
			}
			dt, err := conn.LoadType(ctx, typ)
			if err != nil {
				return nil, fmt.Errorf("read the type %s of table %s on Postgres: %w", typ, t.name, scrub(err))
			}
			conn.TypeMap().RegisterType(dt)
		}
	}
	var full []string
	for _, t := range res.tables {
		if err := ptx.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{t.name}.Sanitize()).Scan(&t.to); err != nil {
			return nil, fmt.Errorf("count %s on %s: %w", t.name, where, scrub(err))
		}
		if t.to > 0 {
			full = append(full, fmt.Sprintf("%s: %s", t.name, thousands(t.to)))
		}
	}
	if len(full) > 0 {
		return nil, fmt.Errorf("the Postgres database at %s already holds an ituwatch store (%s); migrate fills an empty one only, so nothing was copied: point --to at a new database (createdb) or schema, or drop this one if it is a failed earlier attempt", where, strings.Join(full, ", "))
	}
	fmt.Fprintf(out, "Copying %s into Postgres at %s\n", path, where)
	for _, t := range res.tables {
		if err := stx.QueryRowContext(ctx, `SELECT count(*) FROM "`+t.name+`"`).Scan(&t.from); err != nil {
			return nil, fmt.Errorf("count %s in %s: %w", t.name, path, err)
		}
		if t.copiedRows, err = migrateCopy(ctx, stx, ptx, t); err != nil {
			return nil, fmt.Errorf("copy %s: %w", t.name, scrub(err))
		}
		if t.identity != "" {
			// New rows continue after the copied ids.
			if _, err := ptx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max(`+pgx.Identifier{t.identity}.Sanitize()+`) FROM `+pgx.Identifier{t.name}.Sanitize()+`), 1), (SELECT count(*) > 0 FROM `+pgx.Identifier{t.name}.Sanitize()+`))`,
				pgx.Identifier{t.name}.Sanitize(), t.identity); err != nil {
				return nil, fmt.Errorf("reset the id sequence of %s: %w", t.name, scrub(err))
			}
		}
		if err := ptx.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{t.name}.Sanitize()).Scan(&t.to); err != nil {
			return nil, fmt.Errorf("count %s on %s: %w", t.name, where, scrub(err))
		}
	}
	width := 0
	for _, t := range res.tables {
		width = max(width, len(t.name))
	}
	var wrong []string
	for _, t := range res.tables {
		mark := "✓"
		if t.to != t.from || t.copiedRows != t.from {
			mark = "✗"
			wrong = append(wrong, t.name)
		}
		fmt.Fprintf(out, "  %-*s %s → %s %s\n", width, t.name, thousands(t.from), thousands(t.to), mark)
	}
	if len(wrong) > 0 {
		return nil, fmt.Errorf("the copy of %s does not hold the rows the SQLite store holds; nothing was written to Postgres", strings.Join(wrong, ", "))
	}
	if err := ptx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit on %s: %w", where, scrub(err))
	}
	if len(res.skipped) > 0 {
		fmt.Fprintf(out, "Not copied: the Matrix encryption tables (%s), because this ituwatch was built without encryption. Run migrate again with a build made with -tags goolm (into an empty database) to keep the bot's device; otherwise it must be set up as a new device (docs/matrix.md, Encrypted rooms).\n", strings.Join(res.skipped, ", "))
	}
	var rows int64
	for _, t := range res.tables {
		rows += t.to
	}
	fmt.Fprintf(out, "Done: %d tables, %s rows in %s. Now set store: {driver: postgres, dsn: \"${%s}\"} in the config.\n",
		len(res.tables), thousands(rows), time.Since(start).Round(time.Millisecond), migrateEnvDSN)
	return res, nil
}

// migrateAdapterTables has the Matrix library create its tables on
// Postgres when the SQLite store holds some and Postgres none, so that
// they are copied with the rest.
func migrateAdapterTables(ctx context.Context, path, dsn string, out io.Writer) error {
	sdb, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer sdb.Close()
	var inSource int
	if err := sdb.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND (name LIKE 'crypto\_%' ESCAPE '\' OR name LIKE 'mx\_%' ESCAPE '\')`).Scan(&inSource); err != nil {
		return fmt.Errorf("list the tables of %s: %w", path, err)
	}
	if inSource == 0 {
		return nil
	}
	pdb, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer pdb.Close()
	var onTarget int
	if err := pdb.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('crypto_account', 'mx_room_state')`).Scan(&onTarget); err != nil {
		return fmt.Errorf("list the tables on Postgres: %w", err)
	}
	var full bool // refused below, untouched here
	if err := pdb.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM items) OR EXISTS (SELECT 1 FROM alerts) OR EXISTS (SELECT 1 FROM kv)`).Scan(&full); err != nil {
		return fmt.Errorf("read the store on Postgres: %w", err)
	}
	if onTarget == 2 || full {
		return nil
	}
	if err := createAdapterTables(ctx, pdb, "postgres"); err != nil && !errors.Is(err, errNoEncryptionBuild) {
		return err
	}
	return nil
}

// migrateWhere names the server and database of cfg for messages: never
// the user or the password.
func migrateWhere(cfg *pgx.ConnConfig) string {
	host := cfg.Host
	if !strings.HasPrefix(host, "/") {
		host = net.JoinHostPort(host, strconv.Itoa(int(cfg.Port)))
	}
	return host + "/" + cfg.Database
}

// migratePlan lists the tables to copy, in an order that puts every table
// after those it refers to, with the columns both stores have.
func migratePlan(ctx context.Context, stx *sql.Tx, ptx pgx.Tx) (*migrateResult, error) {
	srcTables, err := sqliteTables(ctx, stx)
	if err != nil {
		return nil, err
	}
	dstTables, err := postgresTables(ctx, ptx)
	if err != nil {
		return nil, err
	}
	res := &migrateResult{}
	var copyNames, unknown []string
	for _, name := range srcTables {
		switch {
		case migrateSkip[name] != "":
		case slices.Contains(dstTables, name):
			copyNames = append(copyNames, name)
		case isAdapterTable(name):
			res.skipped = append(res.skipped, name)
		default:
			unknown = append(unknown, name+" (only in the SQLite store)")
		}
	}
	for _, name := range dstTables {
		if migrateSkip[name] == "" && !slices.Contains(srcTables, name) && !isAdapterTable(name) {
			unknown = append(unknown, name+" (only on Postgres)")
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("this ituwatch does not know how to copy table %s; nothing was copied (please report this)", strings.Join(unknown, ", "))
	}
	order, err := postgresCopyOrder(ctx, ptx, copyNames)
	if err != nil {
		return nil, err
	}
	for _, name := range order {
		t := &migrateTable{name: name}
		srcCols, err := sqliteColumns(ctx, stx, name)
		if err != nil {
			return nil, err
		}
		rows, err := ptx.Query(ctx, `SELECT column_name, udt_name, is_generated, coalesce(identity_generation, '') FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, name)
		if err != nil {
			return nil, fmt.Errorf("read the columns of %s on Postgres: %w", name, err)
		}
		dstType := map[string]string{}
		for rows.Next() {
			var col, typ, generated, identity string
			if err := rows.Scan(&col, &typ, &generated, &identity); err != nil {
				rows.Close()
				return nil, err
			}
			if generated == "ALWAYS" {
				continue // computed by Postgres (items.search_vector)
			}
			dstType[col] = typ
			if identity != "" {
				t.identity = col
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		var missing []string
		for _, c := range srcCols {
			typ, ok := dstType[c]
			if !ok {
				missing = append(missing, c)
				continue
			}
			t.cols = append(t.cols, c)
			t.types = append(t.types, typ)
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("table %s: the SQLite store has columns Postgres lacks (%s); nothing was copied (please report this)", name, strings.Join(missing, ", "))
		}
		res.tables = append(res.tables, t)
	}
	return res, nil
}

func sqliteTables(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list the tables of the SQLite store: %w", err)
	}
	return scanStrings(rows)
}

func postgresTables(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		return nil, fmt.Errorf("list the tables on Postgres: %w", err)
	}
	defer rows.Close()
	return readStrings(rows)
}

func sqliteColumns(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	return scanStrings(rows)
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	return readStrings(rows)
}

// readStrings reads a one-column result of either driver (database/sql's
// rows, or pgx's on the target's transaction).
func readStrings(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) ([]string, error) {
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// postgresCopyOrder sorts names so that each table comes after the tables
// its foreign keys refer to (a table referring to itself, as alerts to
// their parent, is copied in id order, parents first).
func postgresCopyOrder(ctx context.Context, tx pgx.Tx, names []string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
		JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("read the foreign keys on Postgres: %w", err)
	}
	deps := map[string][]string{}
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			rows.Close()
			return nil, err
		}
		from, to = unqualified(from), unqualified(to)
		if from != to {
			deps[from] = append(deps[from], to)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("the foreign keys of %s refer back to it through other tables; migrate cannot order them", n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, d := range deps[n] {
			if slices.Contains(names, d) {
				if err := visit(d); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func unqualified(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return strings.Trim(name, `"`)
}

// migrateCopy streams the rows of t from SQLite into Postgres with COPY,
// in rowid order, each value converted to the target column's type.
func migrateCopy(ctx context.Context, stx *sql.Tx, ptx pgx.Tx, t *migrateTable) (int64, error) {
	quoted := make([]string, len(t.cols))
	for i, c := range t.cols {
		quoted[i] = `"` + c + `"`
	}
	rows, err := stx.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM "`+t.name+`" ORDER BY rowid`)
	if err != nil {
		return 0, fmt.Errorf("read the SQLite store: %w", err)
	}
	defer rows.Close()
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	var convErr error
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		n++
		row := make([]any, len(vals))
		for i, v := range vals {
			if row[i], convErr = migrateValue(v, t.types[i]); convErr != nil {
				return nil, fmt.Errorf("row %d, column %s: %w", n, t.cols[i], convErr)
			}
		}
		return row, nil
	})
	return ptx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, src)
}

// migrateValue converts what SQLite returned for a column (its storage
// classes: integer, real, text, blob, null) to what the Postgres column
// of type typ takes.
func migrateValue(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "int8", "int4", "int2":
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if x == float64(int64(x)) {
				return int64(x), nil
			}
		case string:
			return strconv.ParseInt(x, 10, 64)
		case []byte:
			return strconv.ParseInt(string(x), 10, 64)
		}
	case "float8", "float4", "numeric":
		switch x := v.(type) {
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		case string:
			return strconv.ParseFloat(x, 64)
		}
	case "bool":
		switch x := v.(type) {
		case int64:
			return x != 0, nil
		case bool:
			return x, nil
		}
	case "text", "varchar", "bpchar":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		}
	case "jsonb", "json":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	case "timestamp", "timestamptz":
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
				if t, err := time.Parse(layout, x); err == nil {
					return t, nil
				}
			}
		}
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	default: // an enum: its label
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
		return v, nil
	}
	return nil, fmt.Errorf("a %T value does not fit the Postgres type %s", v, typ)
}

// thousands writes n with comma separators, as the summary shows counts.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
