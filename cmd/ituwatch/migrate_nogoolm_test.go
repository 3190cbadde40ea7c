//go:build !goolm

package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/store/pgtest"
)

// Without encryption built in, migrate cannot create the Matrix library's
// tables on Postgres: it copies everything else and says plainly what it
// left out and what to do.
func TestMigrateWithoutEncryptionSaysWhatItLeftOut(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "src.db")
	st, err := store.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE crypto_account (account_id TEXT PRIMARY KEY, device_id TEXT NOT NULL)`,
		`INSERT INTO crypto_account VALUES ('', 'DEVICEBOT')`,
		`CREATE TABLE crypto_version (version INTEGER)`,
	} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	env, stdout, stderr := migrateEnv(dsn)
	if code := runCLI(ctx, env, []string{"migrate", "--from", "sqlite:" + src, "--to", "postgres:"}); code != 0 {
		t.Fatalf("migrate exited %d\n%s\n%s", code, stdout, stderr)
	}
	if out := stdout.String(); !strings.Contains(out, "Not copied: the Matrix encryption tables (crypto_account)") || !strings.Contains(out, "-tags goolm") {
		t.Errorf("migrate does not say what it left out:\n%s", out)
	}
}
