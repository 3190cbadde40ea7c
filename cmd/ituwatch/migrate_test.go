package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/store/pgtest"
)

// migrateEnv runs commands with ITUWATCH_PG_DSN set to dsn.
func migrateEnv(dsn string) (*cliEnv, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &cliEnv{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), lookupEnv: func(k string) (string, bool) {
		if k == migrateEnvDSN && dsn != "" {
			return dsn, true
		}
		return "", false
	}}, &stdout, &stderr
}

// fillEveryTable gives each table the demo leaves empty a row or two, so
// that the copy of every table is checked.
func fillEveryTable(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Subscribe(ctx, "slack:C1", "new-ip"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetState(ctx, "matrix.next_batch", "s72594_4483_1934"); err != nil {
		t.Fatal(err)
	}
	db := st.DB()
	var alertID, deliveryID int64
	if err := db.QueryRowContext(ctx, `SELECT alert_id, id FROM deliveries ORDER BY id LIMIT 1`).Scan(&alertID, &deliveryID); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO digests (id, destination, period_start, period_end, alert_id, entries, closed_at) VALUES (7, 'slack:C1', 1, 2, ?1, 1, 3)`,
		`INSERT INTO digest_entries (alert_id, destination, created_at, digest_id) VALUES (?1, 'slack:C1', 1, 7)`,
		`INSERT INTO channel_digests (destination, schedule, timezone, topics, created_at) VALUES ('slack:C1', 'weekly', 'Europe/Geneva', '["new-ip"]', 1)`,
		`INSERT INTO mutes (id, destination, kind, value, reason, created_by, created_at, expires_at) VALUES (3, 'slack:C1', 'topic', 'spectrum', 'noise', 'U1', 1, NULL)`,
		`INSERT INTO snoozes (alert_id, destination, until, created_by, created_at) VALUES (?1, 'slack:C1', 9, 'U1', 1)`,
		`INSERT INTO follows (id, destination, kind, value, created_at) VALUES (4, 'slack:C1', 'document', 'C26/51', 1)`,
		`INSERT INTO alert_claims (alert_id, state, platform, user_id, user_name, note, at) VALUES (?1, 'claimed', 'slack', 'U1', 'Ana', 'on it', 1)`,
		`INSERT INTO alert_notes (id, alert_id, platform, message_id, user_id, user_name, text, at) VALUES (5, ?1, 'slack', '1700000000.1', 'U1', 'Ana', 'Sent to the team — «urgent»', 1)`,
		`INSERT INTO chat_events (id, instance, seen_at) VALUES ('slack:trigger:1337.42', 'a1b2c3d4', 1)`,
		`INSERT INTO alert_edits (delivery_id, version, attempts, next_attempt, last_error, requested_at) VALUES (?2, 2, 1, 5, 'rate limited', 1)`,
		// A delivery in each state, with its error and time.
		`UPDATE deliveries SET status = 'failed', attempts = 5, last_error = 'channel_not_found' WHERE id = (SELECT max(id) FROM deliveries)`,
		// An id gap, as deleting leaves, that the copy must keep.
		`DELETE FROM alert_matches WHERE alert_id = (SELECT min(alert_id) FROM alert_matches)`,
	} {
		if _, err := db.ExecContext(ctx, q, alertID, deliveryID); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// tableRows reads every row of table, in the order of its columns cols,
// as text, so that the two databases' answers compare.
func tableRows(t *testing.T, db *sql.DB, table string, cols []string) []string {
	t.Helper()
	q := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + table + ` ORDER BY ` + strings.Join(cols, ", ")
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			fmt.Fprintf(&b, "%s=%v;", cols[i], v)
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMigrateSQLiteToPostgres(t *testing.T) {
	base := pgtest.DSN(t)
	// The connection string carries a password, which must appear nowhere
	// in the output: the server's own (CI's checks it), or one made up for
	// a server that trusts loopback.
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	password, ok := u.User.Password()
	if !ok || password == "" {
		password = "pw-Zq81-secret"
		u.User = url.UserPassword(u.User.Username(), password)
	}
	dsn := u.String()

	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	env, stdout, stderr := migrateEnv("")
	if code := runCLI(context.Background(), env, []string{"demo", "--db", src}); code != 0 {
		t.Fatalf("demo exited %d: %s", code, stderr)
	}
	fillEveryTable(t, src)

	// --to postgres: alone reads ITUWATCH_PG_DSN.
	env, stdout, stderr = migrateEnv(dsn)
	if code := runCLI(context.Background(), env, []string{"migrate", "--from", "sqlite:" + src, "--to", "postgres:"}); code != 0 {
		t.Fatalf("migrate exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	out := stdout.String()
	t.Logf("migrate printed:\n%s", out)
	if strings.Contains(out+stderr.String(), password) || strings.Contains(out, u.User.Username()+"@") {
		t.Errorf("migrate printed the connection string or its password:\n%s%s", out, stderr)
	}
	if !strings.Contains(out, u.Host+"/") {
		t.Errorf("migrate does not say which server it filled:\n%s", out)
	}

	ctx := context.Background()
	sst, err := store.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer sst.Close()
	pst, err := store.OpenDriver(ctx, store.DriverPostgres, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pst.Close()

	// Every table the plan copies holds rows, all of them copied, ids and
	// all: compared row by row.
	var copied []string
	for _, name := range sqliteTableNames(t, sst.DB()) {
		if migrateSkip[name] != "" || isAdapterTable(name) {
			continue
		}
		copied = append(copied, name)
		cols := sqliteColumnNames(t, sst.DB(), name)
		want := tableRows(t, sst.DB(), name, cols)
		if len(want) == 0 {
			t.Errorf("table %s is empty in the source: the test does not check its copy", name)
		}
		if got := tableRows(t, pst.DB(), name, cols); !reflect.DeepEqual(got, want) {
			t.Errorf("table %s differs after the copy:\n got %q\nwant %q", name, got, want)
		}
		line := regexp.MustCompile(`(?m)^  ` + name + ` +([0-9,]+) → ([0-9,]+) ✓$`).FindStringSubmatch(out)
		if line == nil || line[1] != thousands(int64(len(want))) || line[2] != line[1] {
			t.Errorf("no summary line %q → %d ✓ for %s in:\n%s", name, len(want), name, out)
		}
	}
	if len(copied) < 16 {
		t.Errorf("only %d tables copied: %v", len(copied), copied)
	}

	// The commands read the same answers from both.
	for _, q := range []string{"new ip", `"New IP"`, "ITU", "resolution", "C20/51", "zzznothing"} {
		sh, err1 := sst.Search(ctx, q, 20)
		ph, err2 := pst.Search(ctx, q, 20)
		if err1 != nil || err2 != nil {
			t.Fatalf("search %q: %v / %v", q, err1, err2)
		}
		if got, want := searchKeys(ph), searchKeys(sh); !slices.Equal(got, want) {
			t.Errorf("search %q on Postgres = %q, on SQLite %q", q, got, want)
		}
	}
	sr, err1 := sst.RecentAlerts(ctx, "", 50)
	pr, err2 := pst.RecentAlerts(ctx, "", 50)
	if err1 != nil || err2 != nil || len(sr) == 0 {
		t.Fatalf("recent: %d alerts, %v / %v", len(sr), err1, err2)
	}
	if got, want := alertKeys(pr), alertKeys(sr); !slices.Equal(got, want) {
		t.Errorf("recent on Postgres = %q, on SQLite %q", got, want)
	}
	if v, ok, err := pst.GetState(ctx, "matrix.next_batch"); err != nil || !ok || v != "s72594_4483_1934" {
		t.Errorf("the Matrix sync token after the copy: %q %v %v", v, ok, err)
	}

	// And through the real chat commands, reading each store from a config
	// (the Postgres one names its DSN by ${ITUWATCH_PG_DSN}, as the README
	// says): the same answers, word for word.
	chatOut := func(storeYAML string) string {
		t.Helper()
		cfg := filepath.Join(t.TempDir(), "ituwatch.yaml")
		body := storeYAML + `
sources:
  - {id: itu-news, type: rss, url: "https://www.itu.int/feed.rss"}
rules: {packs: ["builtin:itu"]}
routes:
  - {topics: ["*"], to: [console]}
`
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		env, stdout, stderr := migrateEnv(dsn)
		env.stdin = strings.NewReader("recent\nrecent 20\nsearch new ip\nsearch \"New IP\"\nsearch ITU\nsearch resolution\nsearch C20/51\nsearch zzznothing\n")
		if code := runCLI(ctx, env, []string{"chat", "-c", cfg}); code != 0 {
			t.Fatalf("chat exited %d: %s", code, stderr)
		}
		return stdout.String()
	}
	fromSQLite := chatOut("store: {path: " + src + "}")
	fromPostgres := chatOut(`store: {driver: postgres, dsn: "${ITUWATCH_PG_DSN}"}`)
	if fromPostgres != fromSQLite {
		t.Errorf("chat answers differ.\nSQLite:\n%s\nPostgres:\n%s", fromSQLite, fromPostgres)
	}
	if !strings.Contains(fromSQLite, "New IP") {
		t.Errorf("the chat session found nothing to compare:\n%s", fromSQLite)
	}

	// New rows continue after the copied ids.
	var maxItem int64
	if err := pst.DB().QueryRowContext(ctx, `SELECT max(id) FROM items`).Scan(&maxItem); err != nil {
		t.Fatal(err)
	}
	it := model.Item{SourceID: "after", ID: "x", Title: "Stored after the migration"}
	if errs := pst.SaveItems(ctx, []model.ItemSave{{Item: it, Fingerprint: "f", Alert: &model.Alert{Kind: model.AlertNew, Item: it}, Destinations: []string{"console"}}}); errs[0] != nil {
		t.Fatalf("save on the migrated store: %v", errs[0])
	}
	var newID int64
	if err := pst.DB().QueryRowContext(ctx, `SELECT id FROM items WHERE source_id = 'after'`).Scan(&newID); err != nil || newID <= maxItem {
		t.Errorf("new item got id %d (err %v), want one above %d", newID, err, maxItem)
	}

	// A second run refuses the store now full, and changes nothing.
	var before int
	if err := pst.DB().QueryRowContext(ctx, `SELECT count(*) FROM items`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	env, stdout, stderr = migrateEnv(dsn)
	if code := runCLI(context.Background(), env, []string{"migrate", "--from", "sqlite:" + src, "--to", "postgres:" + dsn}); code != 1 {
		t.Fatalf("a second migrate exited %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if msg := stderr.String(); !strings.Contains(msg, "already holds an ituwatch store") || strings.Contains(msg, password) {
		t.Errorf("refusal message: %s", msg)
	}
	var items int
	if err := pst.DB().QueryRowContext(ctx, `SELECT count(*) FROM items`).Scan(&items); err != nil || items != before {
		t.Errorf("after the refused run: %d items (err %v), want the %d before it", items, err, before)
	}
}

func searchKeys(hits []model.SearchHit) []string {
	var out []string
	for _, h := range hits {
		var parts []string
		for _, p := range h.Snippet.Parts {
			if p.Hit {
				parts = append(parts, p.Text)
			}
		}
		out = append(out, fmt.Sprintf("%s/%s alert %d %v %s:%q", h.Item.SourceID, h.Item.ID, h.AlertID, h.Topics, h.Snippet.Field, parts))
	}
	return out
}

func alertKeys(alerts []model.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%d %s %q %d matches", a.ID, a.Kind, a.Item.Title, len(a.Matches)))
	}
	return out
}

func sqliteTableNames(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := scanStrings(rows)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func sqliteColumnNames(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		t.Fatal(err)
	}
	names, err := scanStrings(rows)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// Every table of either store is copied or named in migrateSkip with its
// reason: a table added by a later migration fails here until it is one or
// the other, and migrate refuses to run without knowing it.
func TestMigrateTablesAccountedFor(t *testing.T) {
	dsn := pgtest.DSN(t)
	dir := t.TempDir()
	ctx := context.Background()
	path := filepath.Join(dir, "empty.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	var out bytes.Buffer
	res, err := migrateStore(ctx, path, dsn, &out)
	if err != nil {
		t.Fatalf("migrate an empty store: %v", err)
	}
	var planned []string
	for _, tb := range res.tables {
		planned = append(planned, tb.name)
	}
	slices.Sort(planned)
	st, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, name := range sqliteTableNames(t, st.DB()) {
		if migrateSkip[name] == "" && !slices.Contains(planned, name) {
			t.Errorf("table %s is neither copied nor skipped", name)
		}
	}
	for name := range migrateSkip {
		if !isAdapterTable(name) && !slices.Contains(sqliteTableNames(t, st.DB()), name) {
			t.Errorf("migrateSkip names %s, which the SQLite store does not have", name)
		}
	}

	// A table migrate does not know stops it before it copies anything.
	if _, err := st.DB().ExecContext(ctx, `CREATE TABLE later_feature (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	_, err = migrateStore(ctx, path, pgtest.DSN(t), &out)
	if err == nil || !strings.Contains(err.Error(), "later_feature (only in the SQLite store)") {
		t.Errorf("migrate with an unknown table: %v", err)
	}
}

func TestMigrateUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"migrate", "--to", "postgres:"}, 2, "--from must name the SQLite store"},
		{[]string{"migrate", "--from", "ituwatch.db", "--to", "postgres:"}, 2, "--from must name the SQLite store"},
		{[]string{"migrate", "--from", "sqlite:x.db", "--to", "mysql://x"}, 2, "--to must name the Postgres database"},
		{[]string{"migrate", "--from", "sqlite:x.db", "--to", "postgres:"}, 1, "export ITUWATCH_PG_DSN="},
		{[]string{"migrate", "--from", "sqlite:" + filepath.Join(t.TempDir(), "missing.db"), "--to", "postgres://u:pw-Zq81-secret@127.0.0.1:1/db"}, 1, "read the SQLite store"},
	} {
		env, _, stderr := migrateEnv("")
		if code := runCLI(context.Background(), env, tt.args); code != tt.code || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit %d and %q", tt.args, code, stderr, tt.code, tt.want)
		}
		if strings.Contains(stderr.String(), "pw-Zq81-secret") {
			t.Errorf("%q printed the password: %s", tt.args, stderr)
		}
	}
}
