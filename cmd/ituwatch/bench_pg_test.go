package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/store/pgtest"
)

// The history benchmarks run on Postgres with ITUWATCH_BENCH_DRIVER=postgres
// and ITUWATCH_TEST_PG_DSN set (BENCHMARKS.md §14). The Postgres store is
// the SQLite one of historyStore copied by `ituwatch migrate`'s code into
// the schema ituwatch_bench_history_N of that server, kept between runs
// like the file; drop the schema to build it again.
func historyDriver() string {
	if os.Getenv("ITUWATCH_BENCH_DRIVER") == store.DriverPostgres {
		return store.DriverPostgres
	}
	return store.DriverSQLite
}

// openHistoryStore opens the history store of path (n items) on the
// benchmark's driver.
func openHistoryStore(b *testing.B, path string, n int) *store.Store {
	b.Helper()
	ctx := context.Background()
	if historyDriver() != store.DriverPostgres {
		st, err := store.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	base := os.Getenv(pgtest.EnvDSN)
	if base == "" {
		b.Skip(pgtest.SkipMessage)
	}
	schema := fmt.Sprintf("ituwatch_bench_history_%d", n)
	dsn, err := pgtest.WithSearchPath(base, schema)
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var have int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+schema+`.items`).Scan(&have); err != nil || have != n {
		start := time.Now()
		for _, q := range []string{`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`, `CREATE SCHEMA ` + schema} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		var out bytes.Buffer
		if _, err := migrateStore(ctx, path, dsn, &out); err != nil {
			b.Fatalf("copy %s to Postgres: %v\n%s", path, err, out.String())
		}
		// Fresh statistics for the planner, as autovacuum would gather.
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE `+schema+`.items`); err != nil {
			b.Fatal(err)
		}
		b.Logf("copied %s to Postgres schema %s in %s:\n%s", path, schema, time.Since(start).Round(time.Second), out.String())
	}
	st, err := store.OpenDriver(ctx, store.DriverPostgres, dsn)
	if err != nil {
		b.Fatal(err)
	}
	return st
}
