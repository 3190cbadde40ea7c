//go:build goolm

package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/store/pgtest"
)

// With encryption built in, migrate carries the Matrix bot's keys and room
// state over: the library's tables are created on Postgres in its own
// dialect (enums, jsonb, booleans) and filled from the SQLite ones, so the
// bot starts there as the same device.
func TestMigrateCopiesMatrixEncryptionTables(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "src.db")
	st, err := store.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if err := createAdapterTables(ctx, st.DB(), "sqlite"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO crypto_account (account_id, device_id, shared, sync_token, account, key_backup_version) VALUES ('', 'DEVICEBOT', 1, 's12_34', X'00ff10', '')`,
		`INSERT INTO mx_room_state (room_id, encryption, members_fetched) VALUES ('!room:example.org', '{"algorithm":"m.megolm.v1.aes-sha2"}', 1)`,
		`INSERT INTO mx_user_profile (room_id, user_id, membership, displayname) VALUES ('!room:example.org', '@ana:example.org', 'join', 'Ana')`,
	} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st.Close()

	env, stdout, stderr := migrateEnv(dsn)
	if code := runCLI(ctx, env, []string{"migrate", "--from", "sqlite:" + src, "--to", "postgres:"}); code != 0 {
		t.Fatalf("migrate exited %d\n%s\n%s", code, stdout, stderr)
	}
	for _, table := range []string{"crypto_account", "mx_room_state", "mx_user_profile"} {
		if !regexp.MustCompile(`(?m)^  ` + table + ` +1 → 1 ✓$`).MatchString(stdout.String()) {
			t.Errorf("no line %q 1 → 1 ✓ in:\n%s", table, stdout)
		}
	}
	if strings.Contains(stdout.String(), "Not copied") {
		t.Errorf("migrate left tables out:\n%s", stdout)
	}
	pst, err := store.OpenDriver(ctx, store.DriverPostgres, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pst.Close()
	var (
		device, token, membership, algorithm string
		shared, fetched                      bool
		account                              []byte
	)
	if err := pst.DB().QueryRowContext(ctx, `SELECT device_id, shared, sync_token, account FROM crypto_account`).Scan(&device, &shared, &token, &account); err != nil {
		t.Fatal(err)
	}
	if device != "DEVICEBOT" || !shared || token != "s12_34" || string(account) != "\x00\xff\x10" {
		t.Errorf("crypto_account on Postgres: %q %v %q %x", device, shared, token, account)
	}
	if err := pst.DB().QueryRowContext(ctx, `SELECT s.encryption->>'algorithm', s.members_fetched, p.membership::text FROM mx_room_state s JOIN mx_user_profile p USING (room_id)`).Scan(&algorithm, &fetched, &membership); err != nil {
		t.Fatal(err)
	}
	if algorithm != "m.megolm.v1.aes-sha2" || !fetched || membership != "join" {
		t.Errorf("room state on Postgres: %q %v %q", algorithm, fetched, membership)
	}
}
