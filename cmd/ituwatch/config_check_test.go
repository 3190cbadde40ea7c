package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/matrix"
)

// runWithin runs a command in-process with a deadline, so that a daemon
// that starts when it should have refused ends the test instead of hanging
// it; it reports whether the command returned before the deadline.
func runWithin(t *testing.T, d time.Duration, env map[string]string, args ...string) (stdout, stderr string, code int, early bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var out, errb bytes.Buffer
	e := &cliEnv{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), lookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}}
	code = runCLI(ctx, e, args)
	return out.String(), errb.String(), code, ctx.Err() == nil
}

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigMistakesRefusedByEveryCommand: what check-config calls a
// problem, once and run refuse too, before polling or connecting anything.
func TestConfigMistakesRefusedByEveryCommand(t *testing.T) {
	feed := &feedServer{bodies: map[string]string{"/news.rss": rss(itemNewIP)}}
	srv := httptest.NewServer(feed)
	defer srv.Close()
	head := func(dir string) string {
		return fmt.Sprintf("store: {path: %q}\nhttp: {allow_private_networks: true}\nsources:\n  - {id: policy-news, type: rss, url: \"%s/news.rss\"}\n", filepath.Join(dir, "ituwatch.db"), srv.URL)
	}
	tests := []struct {
		name string
		body string
		env  map[string]string
		want []string
		skip bool
	}{
		{
			name: "a typo in a route topic",
			body: "routes:\n  - topics: [new-ip, newip]\n    to: [console]\n",
			want: []string{`ituwatch.yaml:6: routes[0].topics[1]: unknown topic "newip"; did you mean "new-ip"?`},
		},
		{
			name: "a body's name instead of a topic id",
			body: "routes:\n  - {topics: [cwg-internet, ipv6-allocation], to: [console]}\n",
			want: []string{
				`ituwatch.yaml:6: routes[0].topics[0]: unknown topic "cwg-internet"; the topics are: mandate-creep, new-ip,`,
				`ituwatch.yaml:6: routes[0].topics[1]: unknown topic "ipv6-allocation"; the topics are:`,
			},
		},
		{
			name: "a token with a line break",
			body: "routes:\n  - {topics: [\"*\"], to: [\"slack:#itu-alerts\"]}\nslack: {bot_token: \"${SLACK_BOT_TOKEN}\"}\n",
			env:  map[string]string{"SLACK_BOT_TOKEN": "xoxb-77-NEWLINESECRET\nx"},
			want: []string{`ituwatch.yaml:7: slack.bot_token: environment variable SLACK_BOT_TOKEN contains a line break`},
		},
		{
			name: "encryption in a build without it",
			body: "matrix:\n  homeserver: " + srv.URL + "\n  user_id: \"@ituwatch:example.org\"\n  access_token: ${MATRIX_ACCESS_TOKEN}\n  encryption: {enabled: true, pickle_key: \"${MATRIX_PICKLE_KEY}\"}\n",
			env:  map[string]string{"MATRIX_ACCESS_TOKEN": "syt_x", "MATRIX_PICKLE_KEY": "pickle"},
			want: []string{`ituwatch.yaml:9: matrix.encryption.enabled: this ituwatch binary was built without end-to-end encryption; rebuild it with -tags goolm`},
			skip: matrix.EncryptionCompiled(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip {
				t.Skip("this test binary was built with encryption")
			}
			dir := t.TempDir()
			cfg := writeFile(t, filepath.Join(dir, "ituwatch.yaml"), head(dir)+tt.body)
			feed.mu.Lock()
			before := len(feed.requests)
			feed.mu.Unlock()
			for _, cmd := range []string{"check-config", "once", "run"} {
				out, errOut, code, early := runWithin(t, 5*time.Second, tt.env, cmd, "-c", cfg)
				if code != 1 || !early {
					t.Errorf("%s exited %d (before the deadline: %v), want 1 at once\nstdout: %s\nstderr: %s", cmd, code, early, out, errOut)
				}
				for _, w := range tt.want {
					if !strings.Contains(errOut, w) {
						t.Errorf("%s stderr lacks %q:\n%s", cmd, w, errOut)
					}
				}
				if strings.Contains(errOut, "NEWLINESECRET") {
					t.Errorf("%s printed the secret:\n%s", cmd, errOut)
				}
			}
			feed.mu.Lock()
			polled := len(feed.requests) - before
			feed.mu.Unlock()
			if polled != 0 {
				t.Errorf("a refused config still polled the feed %d times", polled)
			}
		})
	}
}

func TestEmptyConfigFileIsAProblem(t *testing.T) {
	cfg := writeFile(t, filepath.Join(t.TempDir(), "ituwatch.yaml"), "# nothing here yet\n")
	out, errOut, code := runCLIForTest(t, nil, "check-config", "-c", cfg)
	if code != 1 || strings.Contains(out, "OK") || !strings.Contains(errOut, "the file is empty; delete it and run `ituwatch init -c "+cfg+"`") {
		t.Errorf("check-config on an empty file: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

func TestStoreFolderCheckedAndOpenErrorSaidOnce(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "data")
	cfg := writeFile(t, filepath.Join(dir, "ituwatch.yaml"), fmt.Sprintf("store: {path: %q}\nsources:\n  - {id: itu-news, type: rss, url: \"https://www.itu.int/hub/feed/\"}\n", filepath.Join(missing, "ituwatch.db")))
	_, errOut, code := runCLIForTest(t, nil, "check-config", "-c", cfg)
	if want := "ituwatch.yaml:1: store.path: the folder " + missing + " does not exist; create it (mkdir -p " + missing + ")"; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("check-config with the store in a missing folder: exit %d, stderr:\n%s\nwant %q", code, errOut, want)
	}

	// A file that is not a database passes the folder check; opening it
	// fails, and the message names the store once.
	db := writeFile(t, filepath.Join(dir, "ituwatch.db"), strings.Repeat("not a database ", 100))
	writeFile(t, cfg, fmt.Sprintf("store: {path: %q}\nsources:\n  - {id: itu-news, type: rss, url: \"https://www.itu.int/hub/feed/\"}\n", db))
	_, errOut, code = runCLIForTest(t, nil, "once", "-c", cfg)
	if code != 1 || strings.Count(errOut, "open store") != 1 {
		t.Errorf("once on a file that is not a database: exit %d, want 1 and \"open store\" said once:\n%s", code, errOut)
	}
}

// TestInitWritesAStarterThatRuns: `init` writes a config that needs no
// token, check-config calls it OK, and once polls its sources (rewritten
// to a loopback server) and prints alerts to the console.
func TestInitWritesAStarterThatRuns(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ituwatch.yaml")
	out, errOut, code := runCLIForTest(t, nil, "init", "-c", cfg)
	if code != 0 || !strings.Contains(out, cfg) || !strings.Contains(out, "ituwatch once -c "+cfg) {
		t.Fatalf("init: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	written, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, secretish := range []string{"${", "slack:", "matrix:"} {
		if bytes.Contains(written, []byte(secretish)) {
			t.Errorf("the starter mentions %q; it must run without tokens:\n%s", secretish, written)
		}
	}

	out, errOut, code = runCLIForTest(t, nil, "check-config", "-c", cfg)
	if code != 0 || !strings.Contains(out, cfg+": OK — 5 sources, 1 route, 7 topics") || errOut != "" {
		t.Errorf("check-config on the starter: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	// A second init must not overwrite the file, even with changes in it.
	writeFile(t, cfg, string(written)+"# my edit\n")
	_, errOut, code = runCLIForTest(t, nil, "init", "-c", cfg)
	if code != 1 || !strings.Contains(errOut, cfg+" already exists") {
		t.Errorf("init over an existing file: exit %d, stderr %q", code, errOut)
	}
	if now, _ := os.ReadFile(cfg); !bytes.HasSuffix(now, []byte("# my edit\n")) {
		t.Errorf("init overwrote an existing file")
	}

	// Serve every source of the starter on loopback, under its host name.
	var mu sync.Mutex
	hosts := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		mu.Lock()
		hosts[host] = true
		mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, rss(rssItem(host+"-1", "TSAG debates New IP successor at ITU-T", "Delegates discussed reviving the New IP proposal first tabled at FG-NET2030.")))
	}))
	defer srv.Close()
	urls := regexp.MustCompile(`https://([a-z0-9.-]+)/`).FindAllStringSubmatch(string(written), -1)
	if len(urls) < 3 {
		t.Fatalf("the starter has %d sources, want a few:\n%s", len(urls), written)
	}
	local := regexp.MustCompile(`https://([a-z0-9.-]+)/`).ReplaceAllString(string(written), srv.URL+"/$1/")
	local = strings.Replace(local, "allow_private_networks: false", "allow_private_networks: true", 1)
	local = strings.Replace(local, "path: ituwatch.db", "path: "+filepath.Join(dir, "ituwatch.db"), 1)
	writeFile(t, cfg, local)
	out, errOut, code = runCLIForTest(t, nil, "once", "-c", cfg)
	// The same story from every feed clusters into one alert.
	if code != 0 || !strings.Contains(out, "NEW ALERT #1 · high · new-ip") || errOut != "" {
		t.Errorf("once on the starter: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range urls {
		if !hosts[u[1]] {
			t.Errorf("source on %s was not polled", u[1])
		}
	}
}

func TestResolveVersion(t *testing.T) {
	info := func(main string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/ituwatch/ituwatch", Version: main}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	tests := []struct {
		name    string
		ldflags string
		info    *debug.BuildInfo
		want    string
	}{
		{"set with -ldflags", "v1.4.0", info("v1.3.0"), "v1.4.0"},
		{"go install module@version", "dev", info("v1.3.0"), "v1.3.0"},
		{"checkout with local changes", "dev", info("(devel)", "vcs.revision", "0123456789abcdef0123", "vcs.modified", "true"), "0123456789ab-modified"},
		{"clean checkout", "dev", info("(devel)", "vcs.revision", "0123456789abcdef0123", "vcs.modified", "false"), "0123456789ab"},
		{"nothing known", "dev", info("(devel)"), "dev"},
		{"no build info", "dev", nil, "dev"},
	}
	for _, tt := range tests {
		if got := resolveVersion(tt.ldflags, tt.info); got != tt.want {
			t.Errorf("%s: resolveVersion = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestVersionShownAndSentAsUserAgent: the version `version` prints is the
// one sources see in the User-Agent.
func TestVersionShownAndSentAsUserAgent(t *testing.T) {
	old := version
	version = "v9.8.7-test"
	defer func() { version = old }()

	out, _, code := runCLIForTest(t, nil, "version")
	if code != 0 || out != "ituwatch v9.8.7-test\n" {
		t.Errorf("version printed %q (exit %d)", out, code)
	}

	var mu sync.Mutex
	var agents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.UserAgent())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, rss(itemNewIP))
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.URL)
	if _, errOut, code := runCLIForTest(t, nil, "once", "-c", cfg); code != 0 {
		t.Fatalf("once exited %d: %s", code, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(agents) == 0 {
		t.Fatal("no request reached the feed")
	}
	for _, ua := range agents {
		if !strings.HasPrefix(ua, "ituwatch/v9.8.7-test ") {
			t.Errorf("User-Agent %q does not carry the version", ua)
		}
	}
}

func TestRulesCheck(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "ours.yaml"), `pack: ours
topics:
  - id: wsis
    name: WSIS process
    severity: medium
    match:
      all:
        - {set: itu_context}
        - {phrases: ["WSIS+20", "WSIS Forum"]}
`)
	out, errOut, code := runCLIForTest(t, nil, "rules", "check", good)
	if code != 0 || !strings.Contains(out, good+": OK — 1 topic: wsis") {
		t.Errorf("rules check on a good pack: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	out, errOut, code = runCLIForTest(t, nil, "rules", "check", "../../rules/testdata/broken.yaml")
	if code != 1 || strings.Contains(out, "OK") {
		t.Errorf("rules check on a broken pack: exit %d, stdout %q", code, out)
	}
	for _, want := range []string{
		`broken.yaml:5: duplicate set "ctx" (first defined on line 4)`,
		`broken.yaml:30: topic new-ip: unknown key "phrse" (did you mean "phrase"?)`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("rules check stderr lacks %q:\n%s", want, errOut)
		}
	}

	if _, errOut, code := runCLIForTest(t, nil, "rules", "check"); code != 2 || !strings.Contains(errOut, "Usage: ituwatch rules check [--pack REF]... FILE...") {
		t.Errorf("rules check without a file: exit %d, stderr %q", code, errOut)
	}
}

// A rule pack's mistakes are the pack's, not the config's: the command
// names the pack it was loading and lists them as the pack check does,
// without the "the config has N problems" heading.
func TestBrokenRulePackNamedByTheConfig(t *testing.T) {
	dir := t.TempDir()
	pack := writeFile(t, filepath.Join(dir, "ours.yaml"), "pack: ours\ntopics:\n  - id: wsis\n    name: WSIS process\n    severity: urgent\n    match: {phrse: WSIS}\n")
	cfg := writeFile(t, filepath.Join(dir, "ituwatch.yaml"), fmt.Sprintf("store: {path: %q}\nsources:\n  - {id: news, type: rss, url: \"https://news.example.org/rss\"}\nrules: {packs: [%q]}\n", filepath.Join(dir, "ituwatch.db"), pack))
	_, errOut, code := runCLIForTest(t, nil, "check-config", "-c", cfg)
	want := "ituwatch check-config: load rule pack " + pack + ": " +
		pack + `:5: topic wsis: unknown severity "urgent" (want low, medium, high or critical)` + "\n" +
		pack + `:6: topic wsis: unknown key "phrse" (did you mean "phrase"?)` + "\n"
	if code != 1 || errOut != want {
		t.Errorf("check-config with a broken pack: exit %d, stderr\n%s\nwant\n%s", code, errOut, want)
	}
}
