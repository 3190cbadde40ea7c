package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/store/pgtest"
)

// writePostgresConfig is writeConfig's config with the store on Postgres,
// its DSN read from ITUWATCH_PG_DSN.
func writePostgresConfig(t *testing.T, dir, base string) string {
	t.Helper()
	cfg := fmt.Sprintf(`store: {driver: postgres, dsn: "${ITUWATCH_PG_DSN}"}
http: {allow_private_networks: true}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss", schedule: "@every 30m"}
  - {id: trade-press, type: rss, url: "%s/trade.rss", schedule: "@every 1h"}
rules: {packs: ["builtin:itu"]}
routes:
  - {topics: ["*"], min_severity: low, to: [console]}
`, base, base)
	path := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// `once` with store.driver postgres keeps what it saw in Postgres: the
// second run alerts nothing new.
func TestOnceOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	srv := httptest.NewServer(&feedServer{bodies: map[string]string{"/news.rss": rss(itemNewIP), "/trade.rss": rss()}})
	defer srv.Close()
	cfgPath := writePostgresConfig(t, t.TempDir(), srv.URL)
	run := func() string {
		var out, errb bytes.Buffer
		env := &cliEnv{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), lookupEnv: func(k string) (string, bool) {
			if k == "ITUWATCH_PG_DSN" {
				return dsn, true
			}
			return "", false
		}}
		if code := runCLI(context.Background(), env, []string{"once", "-c", cfgPath}); code != 0 {
			t.Fatalf("once exited %d\nstderr:\n%s", code, errb.String())
		}
		return out.String()
	}
	if out := run(); !strings.Contains(out, "reviving the New IP proposal") {
		t.Fatalf("first once printed no alert:\n%s", out)
	}
	if out := run(); strings.Contains(out, "reviving the New IP proposal") {
		t.Errorf("second once alerted the same item again:\n%s", out)
	}
}

// A DSN the server cannot be reached with stops ituwatch with a message
// that says what to check and does not show the password.
func TestPostgresStoreErrorHidesThePassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	const secret = "Pg-S3cret-pw-9931"
	dsn := "postgres://ituwatch:" + secret + "@" + addr + "/ituwatch?sslmode=disable&connect_timeout=5"
	srv := httptest.NewServer(&feedServer{bodies: map[string]string{"/news.rss": rss(), "/trade.rss": rss()}})
	defer srv.Close()
	cfgPath := writePostgresConfig(t, t.TempDir(), srv.URL)
	stdout, stderr, code := runCLIForTest(t, map[string]string{"ITUWATCH_PG_DSN": dsn}, "once", "-c", cfgPath)
	if code == 0 {
		t.Fatal("once succeeded without a database")
	}
	if strings.Contains(stdout+stderr, secret) {
		t.Errorf("the output shows the password:\n%s%s", stdout, stderr)
	}
	if !strings.Contains(stderr, "check the host and port in store.dsn") {
		t.Errorf("stderr does not say what to check:\n%s", stderr)
	}
}
