package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"modernc.org/sqlite"
)

// stmtCacheSize bounds the prepared statements kept per connection. The
// store issues a few dozen distinct statements; queries built with a
// variable number of placeholders take the least recently used slots.
const stmtCacheSize = 64

// openCached opens dsn with a cache of prepared statements per connection.
// SQLite compiles every statement it is handed; the item upsert, with its
// full-text triggers, costs more to compile than to run, and database/sql
// compiles again on every Exec and Query. The cache makes each distinct
// statement compile once per connection.
func openCached(dsn string) (*sql.DB, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(cachingConnector{base}), nil
}

type cachingConnector struct{ base driver.Connector }

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(innerConn)
	if !ok {
		conn.Close()
		return nil, errors.New("the sqlite driver lacks a method the statement cache needs")
	}
	return &cachedConn{innerConn: inner, stmts: make(map[string]*cachedStmt)}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.base.Driver() }

// innerConn is what the statement cache needs of a driver connection; the
// sqlite driver's has all of it.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtConn is a prepared statement the cache can run.
type stmtConn interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// cachedConn serves Exec and Query from prepared statements. database/sql
// uses a connection from one goroutine at a time, so it needs no lock; a
// statement whose rows are still open is busy, and running the same text
// again meanwhile (a nested query) falls back to a one-off statement.
type cachedConn struct {
	innerConn
	stmts map[string]*cachedStmt
	clock uint64
}

type cachedStmt struct {
	st       stmtConn
	busy     bool
	lastUsed uint64
}

// stmt returns the cached statement for query, preparing it if needed, or
// nil when the caller should run query uncached.
func (c *cachedConn) stmt(ctx context.Context, query string) *cachedStmt {
	c.clock++
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil
		}
		cs.lastUsed = c.clock
		return cs
	}
	if len(c.stmts) >= stmtCacheSize && !c.evict() {
		return nil
	}
	ds, err := c.innerConn.PrepareContext(ctx, query)
	if err != nil {
		return nil // the uncached path reports the error
	}
	st, ok := ds.(stmtConn)
	if !ok {
		ds.Close()
		return nil
	}
	cs := &cachedStmt{st: st, lastUsed: c.clock}
	c.stmts[query] = cs
	return cs
}

// evict closes the least recently used idle statement.
func (c *cachedConn) evict() bool {
	var oldest string
	var found *cachedStmt
	for q, cs := range c.stmts {
		if !cs.busy && (found == nil || cs.lastUsed < found.lastUsed) {
			oldest, found = q, cs
		}
	}
	if found == nil {
		return false
	}
	delete(c.stmts, oldest)
	found.st.Close()
	return true
}

func (c *cachedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs := c.stmt(ctx, query)
	if cs == nil {
		return c.innerConn.ExecContext(ctx, query, args)
	}
	cs.busy = true
	defer func() { cs.busy = false }()
	return cs.st.ExecContext(ctx, args)
}

func (c *cachedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs := c.stmt(ctx, query)
	if cs == nil {
		return c.innerConn.QueryContext(ctx, query, args)
	}
	cs.busy = true
	rows, err := cs.st.QueryContext(ctx, args)
	if err != nil {
		cs.busy = false
		return nil, err
	}
	return &cachedRows{Rows: rows, cs: cs}, nil
}

func (c *cachedConn) Close() error {
	for q, cs := range c.stmts {
		cs.st.Close()
		delete(c.stmts, q)
	}
	return c.innerConn.Close()
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.cs.busy = false
	return err
}
