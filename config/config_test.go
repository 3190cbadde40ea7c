package config

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

var update = flag.Bool("update", false, "rewrite golden files")

// env builds a lookup over a fixed map, so tests never depend on the
// environment they run in.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func mustParse(t *testing.T, src string, vars map[string]string) *Config {
	t.Helper()
	c, err := Parse("test.yaml", []byte(src), env(vars))
	if err != nil {
		t.Fatalf("Parse: unexpected problems:\n%v", err)
	}
	return c
}

func dests(ds []model.Destination) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

func TestParseValid(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "packs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "packs", "mine.yaml"), []byte("pack: mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		file  string // default test.yaml
		src   string
		env   map[string]string
		check func(t *testing.T, c *Config)
	}{
		{
			name: "an empty section gives the defaults",
			src:  "{}",
			check: func(t *testing.T, c *Config) {
				d := Default()
				if c.Store != d.Store || c.HTTP != d.HTTP || !reflect.DeepEqual(c.Rules, d.Rules) || !reflect.DeepEqual(c.Routes, d.Routes) {
					t.Errorf("empty file = %+v, want the defaults %+v", c, d)
				}
				if len(c.Warnings) != 1 || c.Warnings[0].Field != "sources" {
					t.Errorf("warnings = %v, want one about having no sources", c.Warnings)
				}
			},
		},
		{
			name: "source defaults depend on type",
			src: `
sources:
  - {id: news, type: rss, url: "https://news.example.org/feed"}
  - {id: docs, type: itu-listing, url: "https://www.itu.int/md/S25-CL-C/en"}
  - {id: fg, type: page, url: "https://www.itu.int/en/ITU-T/focusgroups/Pages/default.aspx", selector: "#content"}
`,
			check: func(t *testing.T, c *Config) {
				want := []Source{
					{ID: "news", Name: "news", Type: "rss", URL: "https://news.example.org/feed", Schedule: DefaultFeedSchedule, Line: 3},
					{ID: "docs", Name: "docs", Type: "itu-listing", URL: "https://www.itu.int/md/S25-CL-C/en", Schedule: DefaultListingSchedule, MaxPages: DefaultMaxPages, Line: 4,
						DocumentLanguage: DefaultDocumentLanguage, MaxDocumentsPerPoll: DefaultDocumentsPerPoll},
					{ID: "fg", Name: "fg", Type: "page", URL: "https://www.itu.int/en/ITU-T/focusgroups/Pages/default.aspx", Schedule: DefaultPageSchedule, Selector: "#content", Line: 5},
				}
				if !reflect.DeepEqual(c.Sources, want) {
					t.Errorf("sources =\n%+v\nwant\n%+v", c.Sources, want)
				}
			},
		},
		{
			name: "rss, atom and feed are all feeds",
			src: `
sources:
  - {id: a, type: rss, url: "https://a.example/rss", schedule: "*/30 * * * *"}
  - {id: b, type: atom, url: "https://b.example/atom", schedule: "@hourly"}
  - {id: c, type: feed, url: "http://c.example/feed.json", schedule: "@every 45m"}
`,
			check: func(t *testing.T, c *Config) {
				want := []string{TypeRSS, TypeAtom, TypeFeed}
				for i, s := range c.Sources {
					if s.Type != want[i] || s.MaxPages != 0 || s.Selector != "" {
						t.Errorf("source %s: type %q, max_pages %d, selector %q; want a plain %s feed", s.ID, s.Type, s.MaxPages, s.Selector, want[i])
					}
				}
			},
		},
		{
			name: "http settings, sizes with units, env defaults",
			env:  map[string]string{"TIMEOUT": "45s"},
			src: `
http:
  allow_private_networks: true
  user_agent: ${UA:-ituwatch-test (ops@example.org)}
  timeout: ${TIMEOUT}
  max_body_bytes: 5MiB
  per_host_concurrency: 1
  concurrency: 200
  body_memory: 32MiB
sources:
  - {id: local, type: rss, url: "http://127.0.0.1:8080/feed", schedule: "@every 10s"}
`,
			check: func(t *testing.T, c *Config) {
				want := HTTP{AllowPrivateNetworks: true, UserAgent: "ituwatch-test (ops@example.org)", Timeout: 45 * time.Second, MaxBodyBytes: 5 << 20, PerHostConcurrency: 1, Concurrency: 200, BodyMemory: 32 << 20}
				if c.HTTP != want {
					t.Errorf("http = %+v, want %+v", c.HTTP, want)
				}
			},
		},
		{
			name: "routes: single values, severities, default severity",
			src: `
routes:
  - topics: "*"
    to: console
  - topics: [new-ip, "ipv6-*"]
    min_severity: HIGH
    to: ["slack:#itu-alerts", "matrix:!abc:example.org"]
slack:
  bot_token: ${SLACK_BOT_TOKEN}
matrix:
  homeserver: https://matrix.example.org
  user_id: "@ituwatch:example.org"
  access_token: ${MATRIX_ACCESS_TOKEN}
`,
			env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-2", "MATRIX_ACCESS_TOKEN": "syt_token"},
			check: func(t *testing.T, c *Config) {
				if len(c.Routes) != 2 {
					t.Fatalf("routes = %+v", c.Routes)
				}
				if r := c.Routes[0]; !reflect.DeepEqual(r.Topics, []string{"*"}) || r.MinSeverity != model.SeverityLow || !reflect.DeepEqual(dests(r.To), []string{"console"}) {
					t.Errorf("route 0 = %+v", r)
				}
				if r := c.Routes[1]; r.MinSeverity != model.SeverityHigh || !reflect.DeepEqual(dests(r.To), []string{"slack:#itu-alerts", "matrix:!abc:example.org"}) {
					t.Errorf("route 1 = %+v", r)
				}
				if c.Slack.BotToken.Value() != "xoxb-1-2" || c.Matrix.AccessToken.Value() != "syt_token" {
					t.Error("secrets were not taken from the environment")
				}
			},
		},
		{
			name: "merge keys share settings between sources",
			src: `
sources:
  - &hourly {id: a, type: rss, url: "https://a.example/rss", schedule: "@every 1h"}
  - <<: *hourly
    id: b
    url: https://b.example/rss
`,
			check: func(t *testing.T, c *Config) {
				b := c.Sources[1]
				if b.ID != "b" || b.URL != "https://b.example/rss" || b.Type != "rss" || b.Schedule != "@every 1h" {
					t.Errorf("merged source = %+v", b)
				}
			},
		},
		{
			name: "rule pack paths are relative to the config file",
			file: filepath.Join(dir, "ituwatch.yaml"),
			src:  "rules:\n  packs: [builtin:itu, packs/mine.yaml]\n",
			check: func(t *testing.T, c *Config) {
				want := []string{"builtin:itu", filepath.Join(dir, "packs", "mine.yaml")}
				if !reflect.DeepEqual(c.Rules.Packs, want) {
					t.Errorf("packs = %v, want %v", c.Rules.Packs, want)
				}
			},
		},
		{
			name: "matrix with password login, encryption and allow lists",
			env:  map[string]string{"MATRIX_PASSWORD": "pw", "MATRIX_PICKLE_KEY": "pk"},
			src: `
matrix:
  homeserver: http://localhost:8008
  user_id: "@bot:localhost:8008"
  password: ${MATRIX_PASSWORD}
  access_token: ${MATRIX_ACCESS_TOKEN:-}
  allowed_users: ["@alice:example.org"]
  allowed_homeservers: [example.org, "matrix.example.net:8448"]
  admins: ["@alice:example.org"]
  encryption: {enabled: true, pickle_key: "${MATRIX_PICKLE_KEY}"}
`,
			check: func(t *testing.T, c *Config) {
				m := c.Matrix
				if m == nil || m.AccessToken.IsSet() || m.Password.Value() != "pw" || !m.Encryption.Enabled || m.Encryption.PickleKey.Value() != "pk" {
					t.Errorf("matrix = %#v", m)
				}
				if len(c.Warnings) != 1 { // only: no sources
					t.Errorf("warnings = %v", c.Warnings)
				}
			},
		},
		{
			name: "absent chat sections stay nil",
			src:  "metrics: {listen: \"localhost:9464\"}\n",
			check: func(t *testing.T, c *Config) {
				if c.Slack != nil || c.Matrix != nil {
					t.Errorf("slack = %v, matrix = %v, want both nil", c.Slack, c.Matrix)
				}
				if c.Metrics.Listen != "localhost:9464" {
					t.Errorf("metrics = %+v", c.Metrics)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if file == "" {
				file = "test.yaml"
			}
			c, err := Parse(file, []byte(tt.src), env(tt.env))
			if err != nil {
				t.Fatalf("Parse: unexpected problems:\n%v", err)
			}
			if c.File != file {
				t.Errorf("File = %q, want %q", c.File, file)
			}
			tt.check(t, c)
		})
	}
}

// TestParseProblems checks single mistakes: the full line each produces.
func TestParseProblems(t *testing.T) {
	const feed = "sources:\n  - {id: a, type: rss, url: \"https://a.example/rss\", schedule: \"@hourly\"}\n"
	tests := []struct {
		name string
		src  string
		env  map[string]string
		want []string // lines of Problems.Error(), in order
	}{
		{
			name: "syntax error with its line",
			src:  "sources:\n  - id: a\n   type: rss\n",
			want: []string{`test.yaml:1: the file is not valid YAML (did not find expected '-' indicator); check the indentation and quoting on this line and the one before`},
		},
		{
			name: "unquoted ${} in braces gets a hint",
			src:  "slack: {bot_token: ${SLACK_BOT_TOKEN}}\n",
			want: []string{`test.yaml:1: the file is not valid YAML (did not find expected ',' or '}'); inside { } braces a ${…} value must be quoted, e.g. {bot_token: "${SLACK_BOT_TOKEN}"}; otherwise check the indentation and quoting on this line and the one before`},
		},
		{
			name: "unknown store driver",
			src:  feed + "store: {driver: mysql}\n",
			want: []string{`test.yaml:3: store.driver: store.driver must be sqlite or postgres, not "mysql"`},
		},
		{
			name: "postgres without a dsn",
			src:  feed + "store:\n  driver: postgres\n",
			want: []string{`test.yaml:3: store.dsn: store.driver is postgres but store.dsn is empty; set it to ${ITUWATCH_PG_DSN} and export the DSN (postgres://user:password@host:5432/dbname)`},
		},
		{
			name: "postgres with an unset dsn variable",
			src:  feed + "store:\n  driver: postgres\n  dsn: ${ITUWATCH_PG_DSN}\n",
			want: []string{`test.yaml:5: store.dsn: environment variable ITUWATCH_PG_DSN is not set; set it where ituwatch runs (the secret itself does not belong in this file)`},
		},
		{
			name: "top level must be a mapping",
			src:  "- a\n",
			want: []string{`test.yaml:1: the file must be a set of sections (store, http, sources, rules, routes, slack, matrix, metrics); start from ituwatch.example.yaml`},
		},
		{
			name: "document text keys are checked",
			src: "sources:\n  - {id: a, type: itu-listing, url: \"https://www.itu.int/md/S26-CL-C/en\", document_language: english, max_documents_per_poll: 500}\n" +
				"  - {id: b, type: rss, url: \"https://b.example/rss\", document_language: fr}\n",
			want: []string{
				`test.yaml:2: sources[0].document_language: unknown language "english"; use one of en, fr, es, ar, zh, ru (ITU's six), or none to read the listing rows only`,
				`test.yaml:2: sources[0].max_documents_per_poll: 500 is out of range; use 1 to 100 (the default is 10): ITU's server is slow, the documents left wait for the next poll`,
				`test.yaml:3: sources[1].document_language: only itu-listing sources read documents' text; remove document_language and max_documents_per_poll or set type: itu-listing`,
			},
		},
		{
			name: "unknown section with suggestion",
			src:  feed + "route:\n  - {topics: [\"*\"], to: [console]}\n",
			want: []string{`test.yaml:3: unknown key "route"; did you mean "routes"?`},
		},
		{
			name: "section given as a list",
			src:  feed + "http: [timeout]\n",
			want: []string{`test.yaml:3: http: must be a section of settings (allow_private_networks, user_agent, timeout, max_body_bytes, per_host_concurrency, concurrency, body_memory), each on its own line as key: value`},
		},
		{
			name: "unset variable in a plain field",
			src:  "sources:\n  - {id: a, type: rss, url: \"${FEED}\", schedule: \"@hourly\"}\n",
			want: []string{`test.yaml:2: sources[0].url: environment variable FEED is not set; set it, or give a default with ${FEED:-value}`},
		},
		{
			name: "malformed variable reference",
			src:  "store:\n  path: ${DB_PATH\n" + feed,
			want: []string{`test.yaml:2: store.path: has a "${" with no closing "}"; write ${NAME} or ${NAME:-default}`},
		},
		{
			name: "unset secret names the variable and is not reported twice",
			src:  feed + "slack:\n  bot_token: ${SLACK_BOT_TOKEN}\n",
			want: []string{`test.yaml:4: slack.bot_token: environment variable SLACK_BOT_TOKEN is not set; set it where ituwatch runs (the secret itself does not belong in this file)`},
		},
		{
			name: "slack tokens swapped",
			env:  map[string]string{"A": "xapp-1-SWAPPED", "B": "xoxb-2-SWAPPED"},
			src:  feed + "slack:\n  bot_token: ${A}\n  app_token: ${B}\n",
			want: []string{
				`test.yaml:4: slack.bot_token: this is an app-level token (xapp-); bot_token needs the Bot User OAuth Token, which starts with xoxb- (OAuth & Permissions page of the Slack app)`,
				`test.yaml:5: slack.app_token: this is a bot token (xoxb-); app_token needs an app-level token, which starts with xapp- (Basic Information → App-Level Tokens, scope connections:write)`,
			},
		},
		{
			name: "empty slack section",
			src:  feed + "slack:\n",
			want: []string{`test.yaml:3: slack.bot_token: required: the app's Bot User OAuth Token (starts with xoxb-), e.g. bot_token: ${SLACK_BOT_TOKEN}`},
		},
		{
			name: "route to slack without a slack section",
			src:  feed + "routes:\n  - topics: [new-ip]\n    to: \"slack:#itu\"\n",
			want: []string{`test.yaml:5: routes[0].to: "slack:#itu" sends to Slack, but there is no slack section; add one (with bot_token) or remove this destination`},
		},
		{
			name: "matrix mistakes",
			src: feed + `matrix:
  homeserver: http://matrix.example.org
  user_id: ituwatch
  allowed_users: ["alice"]
  allowed_homeservers: ["https://example.org"]
  encryption: {enabled: true}
`,
			want: []string{
				`test.yaml:3: matrix: set access_token (recommended), or password for a one-time login, e.g. access_token: ${MATRIX_ACCESS_TOKEN}`,
				`test.yaml:4: matrix.homeserver: "http://matrix.example.org" is not encrypted, so the access token would cross the network in clear; use https://`,
				`test.yaml:5: matrix.user_id: "ituwatch" is not a Matrix user id; write it as "@user:server", e.g. "@ituwatch:example.org"`,
				`test.yaml:6: matrix.allowed_users[0]: "alice" is not a Matrix user id; write it as "@user:server"`,
				`test.yaml:7: matrix.allowed_homeservers[0]: "https://example.org" is not a server name; write just the name after the colon in user ids, e.g. "example.org"`,
				`test.yaml:8: matrix.encryption.pickle_key: required when encryption is enabled: a long random passphrase that protects the stored encryption keys, e.g. pickle_key: ${MATRIX_PICKLE_KEY}`,
			},
		},
		{
			name: "http limits",
			src:  feed + "http:\n  timeout: 1h\n  max_body_bytes: 10\n  per_host_concurrency: -1\n  concurrency: 5000\n  body_memory: 100KiB\n",
			want: []string{
				`test.yaml:4: http.timeout: 1h0m0s is out of range; use between 1s and 10m (30s suits most sites)`,
				`test.yaml:5: http.max_body_bytes: 10 is too small; use a size of at least 1KiB (the default is 10MiB)`,
				`test.yaml:6: http.per_host_concurrency: -1 is not allowed; use 1 or more (the default is 2)`,
				`test.yaml:7: http.concurrency: 5000 is out of range; use between 1 and 1024 (the default is 64)`,
				`test.yaml:8: http.body_memory: 102400 is too small; use a size of at least 1MiB (the default is 64MiB)`,
			},
		},
		{
			name: "fast schedule is impolite on the public Internet",
			src:  "sources:\n  - {id: a, type: rss, url: \"https://a.example/rss\", schedule: \"@every 59s\"}\n",
			want: []string{`test.yaml:2: sources[0].schedule: "@every 59s" polls more than once a minute, which is impolite to the site; use "@every 1m" or longer (shorter is allowed only with http.allow_private_networks: true, for local testing)`},
		},
		{
			name: "metrics port",
			src:  feed + "metrics:\n  listen: \"127.0.0.1:http\"\n",
			want: []string{`test.yaml:4: metrics.listen: "127.0.0.1:http" has no valid port; write e.g. "127.0.0.1:9464"`},
		},
		{
			name: "builtin pack without a name and an empty path",
			src:  feed + "rules:\n  packs: [\"builtin:\", \"\"]\n",
			want: []string{
				`test.yaml:4: rules.packs[0]: name the built-in pack, e.g. builtin:itu`,
				`test.yaml:4: rules.packs[1]: is empty; give the path of a rule pack file, or builtin:itu`,
			},
		},
		{
			name: "a source that is not a section is reported once",
			src:  "sources:\n  - https://www.itu.int/hub/feed/\nroutes:\n  -\n",
			want: []string{
				`test.yaml:2: sources[0]: must be a section of settings (id, name, type, url, schedule, max_pages, selector, max_alerts_per_poll, document_language, max_documents_per_poll), each on its own line as key: value`,
				`test.yaml:4: routes[0]: is empty; give the route topics and to`,
			},
		},
		{
			name: "a folder is not a pack",
			src:  feed + "rules:\n  packs: testdata\n",
			want: []string{`test.yaml:4: rules.packs: "testdata" is a folder; name the rule pack file in it`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("test.yaml", []byte(tt.src), env(tt.env))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want problems", c)
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %T is not Problems", err)
			}
			got := strings.Split(err.Error(), "\n")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", err, strings.Join(tt.want, "\n"))
			}
			for _, v := range tt.env {
				if strings.Contains(err.Error(), v) {
					t.Errorf("problems quote the secret %q", v)
				}
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	const feed = "sources:\n  - {id: a, type: rss, url: \"https://a.example/rss\", schedule: \"@hourly\"}\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "literal secret",
			src:  feed + "slack:\n  bot_token: xoxb-LITERAL-123\n",
			want: []string{`test.yaml:4: slack.bot_token: a secret is written in the file, where anyone who can read it can use it; put it in an environment variable and write bot_token: ${SLACK_BOT_TOKEN}`},
		},
		{
			name: "metrics on every interface",
			src:  feed + "metrics: {listen: \":9464\"}\n",
			want: []string{`test.yaml:3: metrics.listen: ":9464" can be reached from other machines; use "127.0.0.1:9464" unless a firewall or proxy guards it`},
		},
		{
			name: "impolite concurrency",
			src:  feed + "http: {per_host_concurrency: 8}\n",
			want: []string{`test.yaml:3: http.per_host_concurrency: 8 requests at once to the same site is more than most sites welcome; 2 is polite`},
		},
		{
			name: "postgres is not there",
			src:  feed + "store:\n  postgres:\n    dsn: ${DATABASE_URL}\n",
			want: []string{`test.yaml:4: store.postgres: this section is ignored and ituwatch keeps its data in the SQLite file "ituwatch.db" (store.path); for PostgreSQL set store.driver: postgres and store.dsn: ${ITUWATCH_PG_DSN}, and remove the section`},
		},
		// Keys ituwatch never reads are accepted whatever they hold, so a
		// file that worked keeps working, and are named as ignored.
		{
			name: "postgres without a dsn or with an unset variable",
			src:  feed + "store:\n  postgres:\n    dsn: ${NO_SUCH_DATABASE_URL}\n    pool: 5\n",
			want: []string{`test.yaml:4: store.postgres: this section is ignored and ituwatch keeps its data in the SQLite file "ituwatch.db" (store.path); for PostgreSQL set store.driver: postgres and store.dsn: ${ITUWATCH_PG_DSN}, and remove the section`},
		},
		{
			name: "old postgres section beside the postgres driver",
			src:  feed + "store:\n  driver: postgres\n  dsn: ${DATABASE_URL}\n  postgres: {pool: 5}\n",
			want: []string{`test.yaml:6: store.postgres: this section is ignored and ituwatch uses store.dsn; for PostgreSQL set store.driver: postgres and store.dsn: ${ITUWATCH_PG_DSN}, and remove the section`},
		},
		{
			name: "dsn without the postgres driver",
			src:  feed + "store:\n  dsn: ${DATABASE_URL}\n",
			want: []string{`test.yaml:4: store.dsn: store.dsn is only read with store.driver: postgres; ituwatch keeps its data in the SQLite file "ituwatch.db" (store.path). Set store.driver: postgres to use the DSN, or remove it`},
		},
		{
			name: "path with the postgres driver",
			src:  feed + "store:\n  driver: postgres\n  path: x.db\n  dsn: ${DATABASE_URL}\n",
			want: []string{`test.yaml:5: store.path: store.path is only read with store.driver: sqlite; with postgres the data is in the database of store.dsn. Remove store.path`},
		},
		{
			name: "slack signing secret",
			src:  feed + "slack:\n  bot_token: ${SLACK_BOT_TOKEN}\n  signing_secret: ${SLACK_SIGNING_SECRET}\n",
			want: []string{`test.yaml:5: slack.signing_secret: ituwatch receives Slack events over Socket Mode (app_token) and never uses a signing secret: this setting is ignored; remove it`},
		},
		{
			name: "slack signing secret written in the file",
			src:  feed + "slack:\n  bot_token: ${SLACK_BOT_TOKEN}\n  signing_secret: LITERAL-signing\n",
			want: []string{`test.yaml:5: slack.signing_secret: ituwatch receives Slack events over Socket Mode (app_token) and never uses a signing secret: this setting is ignored; remove it`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src, map[string]string{"DATABASE_URL": "postgres://u:p@db/x", "SLACK_BOT_TOKEN": "xoxb-1"})
			var got []string
			for _, w := range c.Warnings {
				got = append(got, w.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if strings.Contains(strings.Join(got, "\n"), "LITERAL") {
				t.Error("a warning quotes the secret")
			}
		})
	}
}

// TestBrokenGolden parses a file full of mistakes and compares every
// problem reported, in order, with testdata/broken.golden.
func TestBrokenGolden(t *testing.T) {
	const file = "testdata/broken.yaml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(file, data, env(nil))
	if err == nil {
		t.Fatal("the broken config parsed without problems")
	}
	abs, _ := filepath.Abs("testdata")
	got := strings.ReplaceAll(err.Error(), abs, "<testdata>") + "\n"

	const golden = "testdata/broken.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./config -run TestBrokenGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("problems differ from %s (rerun with -update if the change is intended):\n--- got\n%s--- want\n%s", golden, got, want)
	}
	for _, secret := range []string{"hunter2", "xoxb-literal-not-an-app-token"} {
		if strings.Contains(got, secret) {
			t.Errorf("problems quote the secret %q", secret)
		}
	}
}

// TestExampleFile keeps ituwatch.example.yaml valid and warning-free.
func TestExampleFile(t *testing.T) {
	const file = "../ituwatch.example.yaml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(file, data, env(map[string]string{
		"SLACK_BOT_TOKEN":     "xoxb-fake-bot",
		"SLACK_APP_TOKEN":     "xapp-fake-app",
		"MATRIX_ACCESS_TOKEN": "syt_fake",
	}))
	if err != nil {
		t.Fatalf("the example config has problems:\n%v", err)
	}
	if len(c.Warnings) > 0 {
		t.Errorf("the example config has warnings:\n%v", Problems(c.Warnings))
	}
	if len(c.Sources) < 15 || c.Slack == nil || c.Matrix == nil || c.Metrics.Listen == "" {
		t.Errorf("the example lost part of its catalogue: %d sources, slack %v, matrix %v", len(c.Sources), c.Slack != nil, c.Matrix != nil)
	}
	types := map[string]bool{}
	for _, s := range c.Sources {
		types[s.Type] = true
	}
	for _, typ := range []string{TypeRSS, TypeITUListing, TypePage} {
		if !types[typ] {
			t.Errorf("the example has no %s source", typ)
		}
	}
}

func TestExpandEnv(t *testing.T) {
	vars := env(map[string]string{"HOST": "itu.int", "EMPTY": "", "A_1": "x"})
	tests := []struct {
		in, want string
		unset    []string
		wantErr  bool
	}{
		{in: "plain", want: "plain"},
		{in: "https://${HOST}/feed", want: "https://itu.int/feed"},
		{in: "${A_1}${A_1}", want: "xx"},
		{in: "${MISSING:-fallback}", want: "fallback"},
		{in: "${EMPTY:-fallback}", want: "fallback"},
		{in: "${EMPTY}", want: ""},
		{in: "${HOST:-unused}", want: "itu.int"},
		{in: "${MISSING:-}", want: ""},
		{in: "a${MISSING}b${OTHER}", unset: []string{"MISSING", "OTHER"}},
		{in: "cost $5 and $HOME", want: "cost $5 and $HOME"},
		{in: "^price$", want: "^price$"},
		{in: "$${HOST}", want: "${HOST}"},
		{in: "${HOST", wantErr: true},
		{in: "${1BAD}", wantErr: true},
		{in: "${}", wantErr: true},
	}
	for _, tt := range tests {
		got, unset, err := expandEnv(tt.in, vars)
		if (err != nil) != tt.wantErr {
			t.Errorf("expandEnv(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if !reflect.DeepEqual(unset, tt.unset) {
			t.Errorf("expandEnv(%q) unset = %v, want %v", tt.in, unset, tt.unset)
		}
		if tt.unset == nil && got != tt.want {
			t.Errorf("expandEnv(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEnvExpansionEverywhere(t *testing.T) {
	c := mustParse(t, `
store:
  path: ${DATA_DIR}/ituwatch.db
http:
  allow_private_networks: ${LOCAL:-false}
sources:
  - id: ${SRC_ID}
    name: ITU ${BODY} documents
    type: ${SRC_TYPE:-itu-listing}
    url: https://${ITU_HOST}/md/S25-CL-C/en
    schedule: ${SCHED}
routes:
  - topics: ["$${literal}"]
    to: [console]
`, map[string]string{"DATA_DIR": "/var/lib/ituwatch", "SRC_ID": "council", "BODY": "Council", "ITU_HOST": "www.itu.int", "SCHED": "@every 4h"})
	s := c.Sources[0]
	if c.Store.Path != "/var/lib/ituwatch/ituwatch.db" || c.HTTP.AllowPrivateNetworks ||
		s.ID != "council" || s.Name != "ITU Council documents" || s.Type != "itu-listing" ||
		s.URL != "https://www.itu.int/md/S25-CL-C/en" || s.Schedule != "@every 4h" ||
		c.Routes[0].Topics[0] != "${literal}" {
		t.Errorf("expansion went wrong: store %+v, http %+v, source %+v, route %+v", c.Store, c.HTTP, s, c.Routes[0])
	}
}

// TestSecretRedaction sets secrets to unique strings and checks that no way
// of printing or logging the config shows them.
func TestSecretRedaction(t *testing.T) {
	secrets := map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-7f3a-UNIQUE-BOT-SECRET",
		"SLACK_APP_TOKEN":      "xapp-7f3a-UNIQUE-APP-SECRET",
		"SLACK_SIGNING_SECRET": "UNIQUE-SIGNING-SECRET",
		"MATRIX_ACCESS_TOKEN":  "syt_UNIQUE-MATRIX-TOKEN",
		"MATRIX_PASSWORD":      "UNIQUE-MATRIX-PASSWORD",
		"MATRIX_PICKLE_KEY":    "UNIQUE-PICKLE-KEY",
		"DATABASE_URL":         "postgres://ituwatch:UNIQUE-DB-PASSWORD@db/ituwatch",
		"ITUWATCH_PG_DSN":      "postgres://ituwatch:UNIQUE-PG-PASSWORD@db/ituwatch",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	path := filepath.Join(t.TempDir(), "ituwatch.yaml")
	src := `
store:
  driver: postgres
  dsn: ${ITUWATCH_PG_DSN}
  postgres: {dsn: "${DATABASE_URL}"}
sources:
  - {id: a, type: rss, url: "https://a.example/rss", schedule: "@hourly"}
slack:
  bot_token: ${SLACK_BOT_TOKEN}
  app_token: ${SLACK_APP_TOKEN}
  signing_secret: ${SLACK_SIGNING_SECRET}
matrix:
  homeserver: https://matrix.example.org
  user_id: "@ituwatch:example.org"
  access_token: ${MATRIX_ACCESS_TOKEN}
  password: ${MATRIX_PASSWORD}
  encryption:
    enabled: true
    pickle_key: ${MATRIX_PICKLE_KEY}
`
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(path, data, os.LookupEnv)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	// The real values must still be reachable, or the test proves nothing.
	if c.Slack.BotToken.Value() != secrets["SLACK_BOT_TOKEN"] || c.Matrix.Password.Value() != secrets["MATRIX_PASSWORD"] ||
		c.Store.Target() != secrets["ITUWATCH_PG_DSN"] {
		t.Fatal("Value() does not return the secret")
	}

	var outputs []string
	add := func(format string, args ...any) { outputs = append(outputs, fmt.Sprintf(format, args...)) }
	holder := struct {
		Cfg    *Config
		Slack  *Slack
		Matrix *Matrix
		Enc    *MatrixEncryption
		Token  Secret
		Store  *Store
	}{c, c.Slack, c.Matrix, &c.Matrix.Encryption, c.Slack.BotToken, &c.Store}
	for _, v := range []any{c, *c, c.Slack, *c.Slack, c.Matrix, *c.Matrix, c.Matrix.Encryption, c.Store, &c.Store, c.Store.DSN, c.Slack.BotToken, holder, &holder, []*Slack{c.Slack}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%10.3s"} {
			add(verb, v)
		}
	}
	for _, v := range []any{c, c.Slack, c.Matrix, c.Store, c.Slack.AppToken} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%T): %v", v, err)
		}
		outputs = append(outputs, string(b))
	}
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		log := slog.New(h)
		log.Info("store", "store", c.Store, "dsn", c.Store.DSN)
		log.Info("config", "config", c, "slack", *c.Slack, "matrix", c.Matrix, "token", c.Slack.BotToken, "password", c.Matrix.Password)
		log.Info("group", slog.Group("slack", "bot_token", c.Slack.BotToken, "app_token", c.Slack.AppToken))
	}
	outputs = append(outputs, logs.String(), c.Redacted(), Problems(c.Warnings).Error())

	all := strings.Join(outputs, "\n")
	for i, o := range outputs {
		for name, v := range secrets {
			if strings.Contains(o, v) || strings.Contains(o, hex.EncodeToString([]byte(v))) {
				t.Errorf("output %d shows the value of %s: %s", i, name, o)
			}
		}
	}
	for _, part := range []string{"UNIQUE", "7f3a", "hunter"} {
		if strings.Contains(all, part) {
			t.Errorf("part %q of a secret appears in printed output", part)
		}
	}
	if !strings.Contains(c.Redacted(), "bot_token: '[redacted]'") {
		t.Errorf("Redacted() does not mark the bot token:\n%s", c.Redacted())
	}
	if got := fmt.Sprint(Secret("")); got != "" {
		t.Errorf("an empty secret prints %q, want nothing", got)
	}
}

func TestRedactedReparses(t *testing.T) {
	c := mustParse(t, `
sources:
  - {id: a, type: itu-listing, url: "https://www.itu.int/md/S25-CL-C/en"}
routes:
  - {topics: [new-ip], min_severity: high, to: ["matrix:!r:example.org"]}
matrix: {homeserver: "https://m.example.org", user_id: "@b:example.org", access_token: "${T}"}
`, map[string]string{"T": "tok"})
	out := c.Redacted()
	// The printed config is itself a valid config (secrets become literal
	// placeholders, hence the warning).
	back, err := Parse("printed.yaml", []byte(out), env(nil))
	if err != nil {
		t.Fatalf("Redacted() output does not parse:\n%s\n%v", out, err)
	}
	for i := range back.Sources {
		back.Sources[i].Line = c.Sources[i].Line
	}
	if !reflect.DeepEqual(back.Sources, c.Sources) || !reflect.DeepEqual(back.Routes, c.Routes) || back.HTTP != c.HTTP {
		t.Errorf("round trip changed the config:\n%s", out)
	}
}

func TestDefault(t *testing.T) {
	d := Default()
	if d.Store.Path != "ituwatch.db" || !reflect.DeepEqual(d.Rules.Packs, []string{"builtin:itu"}) {
		t.Errorf("Default() = %+v", d)
	}
	if want := []Route{{Topics: []string{"*"}, MinSeverity: model.SeverityLow, To: []model.Destination{{Platform: "console"}}}}; !reflect.DeepEqual(d.Routes, want) {
		t.Errorf("Default() routes = %+v, want everything to the console", d.Routes)
	}
	if d.HTTP.Timeout != 30*time.Second || d.HTTP.MaxBodyBytes != 10<<20 || d.HTTP.PerHostConcurrency != 2 || d.HTTP.AllowPrivateNetworks {
		t.Errorf("Default() http = %+v", d.HTTP)
	}
	if d.Slack != nil || d.Matrix != nil || d.Metrics.Listen != "" {
		t.Errorf("Default() enables chat or metrics: %+v", d)
	}
}

// FuzzParse feeds arbitrary files to Parse: it must never panic, and must
// either return a config or at least one problem with a message.
func FuzzParse(f *testing.F) {
	for _, file := range []string{"testdata/broken.yaml", "../ituwatch.example.yaml"} {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("sources:\n  - <<: *x\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("sources:\n  - &a {<<: *a}\n  - &b {<<: [*a, *a]}\n"))
	f.Add([]byte("routes:\n  -\n  - {topics: ${X}, to: [\"slack:#a\"]}\nslack: {bot_token: \"${SLACK_BOT_TOKEN:-}\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, env(map[string]string{"SLACK_BOT_TOKEN": "xoxb-f"}))
		if err == nil {
			if c == nil {
				t.Fatal("nil config without an error")
			}
			_ = c.Redacted()
			return
		}
		var ps Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("error %v is not a non-empty Problems", err)
		}
		for _, p := range ps {
			if p.Message == "" {
				t.Fatalf("problem without a message: %#v", p)
			}
		}
	})
}
