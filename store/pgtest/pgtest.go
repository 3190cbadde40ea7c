// Package pgtest gives tests a PostgreSQL database of their own: a fresh,
// empty schema on the server named by ITUWATCH_TEST_PG_DSN, dropped when the
// test ends. It is imported by tests only.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvDSN names the server the tests use; EnvRequire=1 makes its absence a
// failure (CI sets both, see .ci/postgres.sh).
const (
	EnvDSN     = "ITUWATCH_TEST_PG_DSN"
	EnvRequire = "ITUWATCH_TEST_REQUIRE_PG"
)

// SkipMessage is what a test says when it cannot run for want of a server.
const SkipMessage = "Postgres tests skipped: set ITUWATCH_TEST_PG_DSN=postgres://user@127.0.0.1:5432/db to run them"

// DSN returns a connection string for a new, empty schema, which is the
// first of its search_path; the schema and everything in it are dropped at
// the test's cleanup. Without ITUWATCH_TEST_PG_DSN the test is skipped (or
// fails, with ITUWATCH_TEST_REQUIRE_PG=1).
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDSN)
	if base == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s is unset but %s=1: the Postgres tests must run (see .ci/postgres.sh)", EnvDSN, EnvRequire)
		}
		t.Skip(SkipMessage)
	}
	schema := "t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("pgtest: %s is not a connection string: %v", EnvDSN, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("pgtest: create schema on the server of %s: %v", EnvDSN, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	dsn, err := WithSearchPath(base, schema)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// WithSearchPath returns dsn with its search_path set to schema (a URL or
// a keyword/value connection string).
func WithSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("%s is not a connection URL", EnvDSN)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
