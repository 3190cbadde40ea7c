// Package store is ituwatch's memory: items, alerts and their matches, the
// outbox of deliveries, source state, channel subscriptions and small adapter
// state, in one embedded SQLite file (modernc.org/sqlite, pure Go) with
// numbered migrations and an FTS5 index for search.
//
// Writes go through one connection so that concurrent writers queue in Go
// instead of failing with SQLITE_BUSY; reads use a small pool of their own,
// which WAL lets run beside the writer; adapters' own tables (and the WAL
// checkpointer, which needs no connection of its own) use a third.
//
// The same store can live in PostgreSQL instead (OpenDriver, postgres.go),
// for several instances sharing one database; the SQL is shared, with ?
// parameters rewritten for Postgres.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// readConns bounds the read pool; the machine is small and SQLite reads are
// CPU-bound, so more connections would only contend.
const readConns = 4

// Store is the SQLite- or Postgres-backed store. It is safe for concurrent use.
type Store struct {
	w       *sql.DB // the single writer connection
	r       *sql.DB // readers; the same pool as w for in-memory databases
	adapter *sql.DB // handed out by DB() and borrowed by ckpt; the same as w for in-memory databases
	now     func() time.Time
	group   *groupCommit  // runs writeTx; nil until the schema is migrated, and on Postgres
	ckpt    *checkpointer // nil for in-memory databases and on Postgres
	pg      bool          // Postgres (see openPostgres), not SQLite
}

// Open opens (creating if needed) the database at path and brings its schema
// up to date. path ":memory:" gives a private in-memory database, for tests.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open store: no database path; set store.path in the config file, e.g. \"ituwatch.db\"")
	}
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open store %s: the database path must not contain '?'; choose another file name", path)
	}
	s := &Store{now: time.Now}
	if path == ":memory:" {
		// Every connection to ":memory:" is a separate database, so one
		// connection that is never closed serves reads and writes alike.
		db, err := openCached(path + "?" + dsnParams(false, true))
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		s.w, s.r, s.adapter = db, db, db
	} else {
		var err error
		writer := dsnParams(false, true) + "&" + url.Values{"_pragma": {fmt.Sprintf("wal_autocheckpoint(%d)", walAutocheckpointPages)}}.Encode()
		if s.w, err = openCached(path + "?" + writer); err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		s.w.SetMaxOpenConns(1)
		s.w.SetMaxIdleConns(1)
		s.w.SetConnMaxLifetime(0)
		s.w.SetConnMaxIdleTime(0)
		if s.r, err = openCached(path + "?" + dsnParams(true, false)); err != nil {
			s.w.Close()
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		s.r.SetMaxOpenConns(readConns)
		s.r.SetMaxIdleConns(readConns)
		// Adapters (the mautrix crypto store) run their own transactions and
		// may query outside them while one is open, which a one-connection
		// pool would deadlock on. Their pool takes the write lock at BEGIN
		// and waits for it through busy_timeout.
		if s.adapter, err = sql.Open("sqlite", path+"?"+dsnParams(false, true)); err != nil {
			s.w.Close()
			s.r.Close()
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		s.adapter.SetMaxOpenConns(4)
		s.adapter.SetMaxIdleConns(2)
	}
	if err := s.w.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, friendlyOpenError(err))
	}
	if err := migrate(ctx, s.w, sqliteMigrations, false); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	var committed func()
	if s.adapter != s.w {
		s.ckpt = newCheckpointer(s.adapter)
		committed = s.ckpt.committed
	}
	s.group = newGroupCommit(s.w, s.indexStep, committed, catchUpQuiet, maxBehind)
	return s, nil
}

// dsnParams builds the driver parameters. Immediate transactions take the
// write lock at BEGIN, where busy_timeout can wait for it; a deferred
// transaction that upgrades to a writer later fails at once when another
// connection wrote in between.
func dsnParams(readOnly, immediate bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Statement journals (a savepoint per saved item, and every statement
	// that fires triggers) stay in memory instead of a temporary file
	// written page by page.
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	if immediate {
		q.Set("_txlock", "immediate")
	}
	return q.Encode()
}

func friendlyOpenError(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "unable to open") || strings.Contains(msg, "CANTOPEN") {
		return fmt.Errorf("%w (check that the directory exists and is writable)", err)
	}
	if strings.Contains(msg, "not a database") {
		return fmt.Errorf("%w (the file is not an ituwatch database; point store.path at another file)", err)
	}
	return err
}

// Close closes the database. Pending writes were committed by their calls.
func (s *Store) Close() error {
	if s.group != nil {
		s.group.close()
	}
	if s.ckpt != nil {
		s.ckpt.close()
	}
	var errs []error
	closed := map[*sql.DB]bool{}
	for _, db := range []*sql.DB{s.adapter, s.r, s.w} {
		if db == nil || closed[db] {
			continue
		}
		closed[db] = true
		if err := db.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// DB returns a handle on the same database for adapters that keep their
// own tables in it (the mautrix crypto store), in the dialect Driver names.
// On SQLite its transactions are immediate: they wait up to five seconds
// for the write lock. On Postgres its statements are passed as written
// ($1 parameters), not rewritten as the store's own are.
func (s *Store) DB() *sql.DB { return s.adapter }

// writeTx runs fn in a write transaction, committed when fn returns nil,
// possibly together with the transactions of concurrent callers (see
// groupCommit); fn's writes are undone if it returns an error. fn's
// statements take the stmtCtx it is given.
func (s *Store) writeTx(ctx context.Context, fn func(stmtCtx context.Context, tx *sql.Tx) error) error {
	return s.write(ctx, false, fn)
}

// lazyWriteTx is writeTx for bookkeeping that may wait a few milliseconds
// to share a commit with other writes (see writeReq.lazy).
func (s *Store) lazyWriteTx(ctx context.Context, fn func(stmtCtx context.Context, tx *sql.Tx) error) error {
	return s.write(ctx, true, fn)
}

func (s *Store) write(ctx context.Context, lazy bool, fn func(context.Context, *sql.Tx) error) error {
	// Once queued, a write runs to its outcome whatever ctx does (see
	// groupCommit.do), so its statements, of a few microseconds each, are
	// not interrupted either: with a context that can end, the driver
	// starts a goroutine per statement to watch it, and database/sql
	// another per query.
	stmtCtx := context.WithoutCancel(ctx)
	run := func(tx *sql.Tx) error { return fn(stmtCtx, tx) }
	if s.group != nil {
		return s.group.do(ctx, lazy, run)
	}
	if s.pg {
		return s.pgWrite(ctx, run)
	}
	return inTx(ctx, s.w, run)
}

// pgWrite runs a write transaction on Postgres, again (a few times) if it
// lost a deadlock to another transaction: the store's write functions may
// be run more than once, as the group commit does on SQLite.
func (s *Store) pgWrite(ctx context.Context, run func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	const attempts = 5
	for i := 1; ; i++ {
		// As with the group commit, a transaction once begun runs to its
		// outcome whatever ctx does.
		err := inTx(context.WithoutCancel(ctx), s.w, run)
		if err == nil || i == attempts || !pgRetryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(i) * 5 * time.Millisecond)
	}
}

// indexBatch is how many items one search-indexing step takes: large
// enough that the index gets few, large segments, small enough that a
// write arriving meanwhile waits tens of milliseconds at most.
const indexBatch = 1000

// indexStep adds items the item triggers listed in items_fts_pending (see
// migration 0003) to the search index, up to indexBatch of them in one
// transaction, and reports whether more are waiting. The writer runs it
// when idle (see groupCommit.catchUp): indexing is most of the cost of
// storing an item, and a burst of new items is stored, and alerted,
// first.
func (s *Store) indexStep() (more bool, err error) {
	ctx := context.Background()
	var pending bool
	if err := s.w.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM items_fts_pending)`).Scan(&pending); err != nil || !pending {
		return false, err
	}
	var n int64
	// Its own transaction, not through the group commit: the writer runs it.
	err = inTx(ctx, s.w, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO items_fts (rowid, title, summary, content)
			SELECT t.id, t.title, t.summary, t.content FROM items_fts_text t
			WHERE t.id IN (SELECT id FROM items_fts_pending ORDER BY id LIMIT ?)`, indexBatch); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM items_fts_pending WHERE id IN (SELECT id FROM items_fts_pending ORDER BY id LIMIT ?)`, indexBatch)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("index items for search: %w", err)
	}
	return n == indexBatch, nil
}

// Times are unix nanoseconds in UTC; a zero time is NULL. Dates outside the
// years 1678–2262 (a feed's nonsense date) are clamped to that range.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	switch {
	case t.Before(minTime):
		t = minTime
	case t.After(maxTime):
		t = maxTime
	}
	return t.UnixNano()
}

func timeFrom(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// sinceArg is a lower bound for "since t" queries; a zero t means always.
func sinceArg(t time.Time) int64 {
	if v := timeArg(t); v != nil {
		return v.(int64)
	}
	return math.MinInt64
}

// storedTime is t as it reads back from the store.
func storedTime(t time.Time) time.Time {
	v := timeArg(t)
	if v == nil {
		return time.Time{}
	}
	return time.Unix(0, v.(int64)).UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// boolInt stores a flag as the 0 or 1 of an INTEGER column: Postgres,
// unlike SQLite, takes no Go bool for an integer.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// jsonList is a subquery of the strings of a JSON list passed as one
// parameter: one statement text for any number of values.
func (s *Store) jsonList() string {
	if s.pg {
		return `SELECT json_array_elements_text(CAST(? AS json))`
	}
	return `SELECT value FROM json_each(?)`
}

// orderedJoin is an inner join that SQLite's planner must take in the
// order written (its CROSS JOIN); Postgres's planner is left to choose, as
// its CROSS JOIN takes no ON.
func (s *Store) orderedJoin() string {
	if s.pg {
		return "JOIN"
	}
	return "CROSS JOIN"
}

func boundLimit(limit, def, max int) int {
	if limit <= 0 {
		return def
	}
	return min(limit, max)
}
