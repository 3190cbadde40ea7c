package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// problemsOf returns the problems in err, failing when err is something else.
func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v is not a Problems", err)
	}
	return ps
}

func TestEmptyFileIsAProblem(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# only a comment\n# and another\n", "---\n"} {
		_, err := Parse("ituwatch.yaml", []byte(src), env(nil))
		ps := problemsOf(t, err)
		if len(ps) != 1 {
			t.Errorf("Parse(%q) = %v, want one problem", src, err)
			continue
		}
		if got := ps[0].String(); !strings.Contains(got, "ituwatch.yaml: the file is empty") || !strings.Contains(got, "ituwatch init") || !strings.Contains(got, "ituwatch.example.yaml") {
			t.Errorf("Parse(%q) problem = %q, want it to say the file is empty and how to start one", src, got)
		}
	}
}

func TestSecretWithControlCharactersRefused(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		vars     map[string]string
		want     string // in the problem
		notShown []string
	}{
		{
			name:     "newline inside a token from the environment",
			src:      "slack: {bot_token: \"${SLACK_BOT_TOKEN}\"}\n",
			vars:     map[string]string{"SLACK_BOT_TOKEN": "xoxb-11-SECRETPART\nxoxb-22-OTHERHALF"},
			want:     "test.yaml:1: slack.bot_token: environment variable SLACK_BOT_TOKEN contains a line break",
			notShown: []string{"SECRETPART", "OTHERHALF"},
		},
		{
			name:     "escape character in a pickle key",
			src:      "matrix:\n  homeserver: https://m.example.org\n  user_id: \"@b:example.org\"\n  access_token: ${MATRIX_ACCESS_TOKEN}\n  encryption: {enabled: true, pickle_key: \"${MATRIX_PICKLE_KEY}\"}\n",
			vars:     map[string]string{"MATRIX_ACCESS_TOKEN": "syt_fine", "MATRIX_PICKLE_KEY": "pick\x1b[2Jle-SECRETPICKLE"},
			want:     "test.yaml:5: matrix.encryption.pickle_key: environment variable MATRIX_PICKLE_KEY contains a line break or another control character",
			notShown: []string{"SECRETPICKLE", "\x1b"},
		},
		{
			name:     "control character written in the file",
			src:      "slack: {bot_token: \"xoxb-33-SECRETLIT\\tTAB\"}\n",
			want:     "test.yaml:1: slack.bot_token: the value contains a line break or another control character",
			notShown: []string{"SECRETLIT", "TAB"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.src), env(tt.vars))
			if err == nil {
				t.Fatal("Parse accepted a secret with a control character")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("problems:\n%v\nwant one containing %q", err, tt.want)
			}
			for _, s := range tt.notShown {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the problem shows part of the secret (%q):\n%v", s, err)
				}
			}
		})
	}
	// A trailing newline, as left by `export T=$(cat file)` or an env file,
	// is trimmed, not refused.
	mustParse(t, "slack: {bot_token: \"${SLACK_BOT_TOKEN}\"}\n", map[string]string{"SLACK_BOT_TOKEN": "xoxb-44-fine\n"})
}

var builtinTopics = []string{"mandate-creep", "new-ip", "ott", "ipv6-addressing", "dns-naming", "cybersecurity", "surveillance"}

func TestCheckTopics(t *testing.T) {
	tests := []struct {
		name   string
		routes string
		want   []string // problems, in order; none when empty
	}{
		{"ids and patterns that exist", "  - {topics: [\"*\", new-ip, \"ipv6-*\", \"dns-nam?ng\"], to: [console]}\n", nil},
		{"a typo gets a suggestion", "  - topics: [new-ip, newip]\n    to: [console]\n",
			[]string{`test.yaml:2: routes[0].topics[1]: unknown topic "newip"; did you mean "new-ip"?`}},
		{"a body name is not a topic", "  - {topics: [new-ip], to: [console]}\n  - topics: cwg-internet\n    to: [console]\n",
			[]string{`test.yaml:3: routes[1].topics: unknown topic "cwg-internet"; the topics are: mandate-creep, new-ip, ott, ipv6-addressing, dns-naming, cybersecurity, surveillance`}},
		{"a pattern that matches nothing", "  - {topics: [\"ipv4-*\"], to: [console]}\n",
			[]string{`test.yaml:2: routes[0].topics[0]: "ipv4-*" matches no topic; the topics are: mandate-creep, new-ip, ott, ipv6-addressing, dns-naming, cybersecurity, surveillance`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, "routes:\n"+tt.routes, nil)
			ps := problemsOf(t, c.Check(Capabilities{Topics: builtinTopics, MatrixEncryption: true}))
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestCheckEncryptionNeedsTheBuild(t *testing.T) {
	src := "matrix:\n  homeserver: https://m.example.org\n  user_id: \"@b:example.org\"\n  access_token: ${T}\n  encryption:\n    enabled: true\n    pickle_key: ${P}\n"
	c := mustParse(t, src, map[string]string{"T": "syt_x", "P": "pickle"})
	err := c.Check(Capabilities{Topics: builtinTopics})
	if err == nil || !strings.Contains(err.Error(), "test.yaml:6: matrix.encryption.enabled: this ituwatch binary was built without end-to-end encryption; rebuild it with -tags goolm") {
		t.Errorf("Check without the encryption build = %v, want the rebuild hint on line 6", err)
	}
	if err := c.Check(Capabilities{Topics: builtinTopics, MatrixEncryption: true}); err != nil {
		t.Errorf("Check with the encryption build = %v", err)
	}
}

func TestCheckStore(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such")
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want string // "" = fine
	}{
		{filepath.Join(dir, "ituwatch.db"), ""},
		{":memory:", ""},
		{filepath.Join(missing, "ituwatch.db"), `store.path: the folder ` + missing + ` does not exist; create it (mkdir -p ` + missing + `) or set store.path to a file in an existing folder`},
		{filepath.Join(dir, "adir"), `store.path: ` + filepath.Join(dir, "adir") + ` is a folder; set store.path to a file name in it, e.g. ` + filepath.Join(dir, "adir", "ituwatch.db")},
	}
	for _, tt := range tests {
		c := mustParse(t, "store:\n  path: \""+tt.path+"\"\n", nil)
		err := c.Check(Capabilities{Topics: builtinTopics})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("store %s: %v", tt.path, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), "test.yaml:2: "+tt.want)):
			t.Errorf("store %s: %v\nwant %q", tt.path, err, tt.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the check left files behind: %v", entries)
	}

	if os.Geteuid() == 0 {
		t.Log("running as root: a read-only folder cannot be tested")
		return
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	c := mustParse(t, "store: {path: "+filepath.Join(ro, "x.db")+"}\n", nil)
	if err := c.Check(Capabilities{Topics: builtinTopics}); err == nil || !strings.Contains(err.Error(), "cannot create files in the folder "+ro) {
		t.Errorf("read-only folder: %v", err)
	}
}
