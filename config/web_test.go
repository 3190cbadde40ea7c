package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestWebValid(t *testing.T) {
	const feed = "sources:\n  - {id: a, type: rss, url: \"https://a.example/rss\", schedule: \"@hourly\"}\n"
	src := feed + `web:
  listen: "0.0.0.0:8080"
  base_url: https://itu.example.org/watch
  auth:
    basic: {user: policy, password: "${ITUWATCH_WEB_PASSWORD}"}
  meetings:
    - {name: Council 2026, start: 2026-06-09, end: 2026-06-19}
`
	const pw = "correct-horse-battery"
	c := mustParse(t, src, map[string]string{"ITUWATCH_WEB_PASSWORD": pw})
	w := c.Web
	if w.Listen != "0.0.0.0:8080" || w.BaseURL != "https://itu.example.org/watch" {
		t.Errorf("web = %+v", w)
	}
	if w.Auth.Basic == nil || w.Auth.Basic.User != "policy" || w.Auth.Basic.Password.Value() != pw {
		t.Errorf("auth = %+v", w.Auth)
	}
	if len(w.Meetings) != 1 || w.Meetings[0].Name != "Council 2026" || !w.Meetings[0].Start.Equal(time.Date(2026, 6, 9, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("meetings = %+v", w.Meetings)
	}
	for _, out := range []string{c.Redacted(), fmt.Sprintf("%v %+v %#v %s", w, w, w, w.Auth.Basic)} {
		if strings.Contains(out, pw) {
			t.Errorf("the password is shown: %s", out)
		}
	}
	if !strings.Contains(c.Redacted(), "start: \"2026-06-09\"") && !strings.Contains(c.Redacted(), "start: 2026-06-09") {
		t.Errorf("redacted config writes the meeting's day otherwise:\n%s", c.Redacted())
	}
	// Behind a proxy that signs people in.
	c = mustParse(t, feed+"web: {listen: \":8080\", auth: {proxy_header: X-Forwarded-User, allow: [alice@example.org]}}\n", nil)
	if c.Web.Auth.ProxyHeader != "X-Forwarded-User" || len(c.Web.Auth.Allow) != 1 {
		t.Errorf("auth = %+v", c.Web.Auth)
	}
	// Loopback needs nothing.
	c = mustParse(t, feed+"web: {listen: \"127.0.0.1:8080\"}\n", nil)
	if c.Web.Auth.IsSet() {
		t.Errorf("auth = %+v", c.Web.Auth)
	}
	// A short password is doubted, not refused, and not quoted.
	c = mustParse(t, feed+"web:\n  auth:\n    basic: {user: u, password: \"${PW}\"}\n", map[string]string{"PW": "hunter2"})
	if len(c.Warnings) != 1 || c.Warnings[0].String() != `test.yaml:5: web.auth.basic.password: is short enough to guess; use at least 12 random characters (e.g. openssl rand -base64 18)` {
		t.Errorf("warnings = %v", c.Warnings)
	}
	// The printed config parses again, the web section included.
	c = mustParse(t, src, map[string]string{"ITUWATCH_WEB_PASSWORD": pw})
	back, err := Parse("printed.yaml", []byte(c.Redacted()), nil)
	if err != nil {
		t.Fatalf("printed config does not parse:\n%s\n%v", c.Redacted(), err)
	}
	if back.Web.Listen != c.Web.Listen || back.Web.BaseURL != c.Web.BaseURL || len(back.Web.Meetings) != 1 || !back.Web.Meetings[0].End.Equal(c.Web.Meetings[0].End) {
		t.Errorf("round trip changed the web section: %+v", back.Web)
	}
	if d := Default(); d.Web.Listen != "" {
		t.Errorf("the web view is on by default: %+v", d.Web)
	}
}

func TestWebProblems(t *testing.T) {
	const feed = "sources:\n  - {id: a, type: rss, url: \"https://a.example/rss\", schedule: \"@hourly\"}\n"
	tests := []struct {
		name string
		src  string
		env  map[string]string
		want []string
	}{
		{
			name: "network without auth",
			src:  feed + "web:\n  listen: \":8080\"\n",
			want: []string{`test.yaml:4: web.listen: ":8080" can be reached from other machines, so the web view needs web.auth: either {proxy_header: X-Forwarded-User, allow: [alice@example.org]} behind a proxy that signs people in, or {basic: {user: policy, password: "${ITUWATCH_WEB_PASSWORD}"}}; or listen on "127.0.0.1:8080"`},
		},
		{
			name: "proxy header without allow list",
			src:  feed + "web:\n  listen: \"10.0.0.1:8080\"\n  auth: {proxy_header: X-Forwarded-User}\n",
			want: []string{`test.yaml:5: web.auth.allow: required with proxy_header: list who may read the web view as the proxy names them, e.g. allow: [alice@example.org]`},
		},
		{
			name: "both choices and a bad header",
			src:  feed + "web:\n  auth:\n    proxy_header: \"X User\"\n    allow: [a]\n    basic: {user: u, password: \"${PW}\"}\n",
			env:  map[string]string{"PW": "a-long-enough-password"},
			want: []string{
				`test.yaml:4: web.auth: choose one: proxy_header (a reverse proxy that signs people in) or basic (one shared user and password), not both`,
				`test.yaml:5: web.auth.proxy_header: "X User" is not a header name; write the header your proxy sets to the signed-in user, e.g. X-Forwarded-User`,
			},
		},
		{
			name: "basic without password, short password",
			src:  feed + "web:\n  auth:\n    basic: {user: \"\"}\n",
			want: []string{
				`test.yaml:5: web.auth.basic.user: required: the user name people type, without a colon, e.g. user: policy`,
				`test.yaml:5: web.auth.basic.password: required: a long random password, kept in the environment, e.g. password: ${ITUWATCH_WEB_PASSWORD}`,
			},
		},
		{
			name: "base url, listen, meetings",
			src:  feed + "web:\n  listen: \"127.0.0.1:x\"\n  base_url: ituwatch.example.org\n  meetings:\n    - {name: WTSA-28, start: 2028-10-12, end: 2028-10-01}\n    - {start: 12/10/2028}\n",
			want: []string{
				`test.yaml:4: web.listen: "127.0.0.1:x" has no valid port; write e.g. "127.0.0.1:8080"`,
				`test.yaml:5: web.base_url: "ituwatch.example.org" is not a full web address; start it with https://; write where people reach the web view, e.g. https://ituwatch.example.org`,
				`test.yaml:7: web.meetings[0].end: 2028-10-01 is before the start (2028-10-12); swap them`,
				`test.yaml:8: web.meetings[1].start: "12/10/2028" is not a date; write it as YYYY-MM-DD, e.g. 2026-06-09`,
				`test.yaml:8: web.meetings[1].name: required: the meeting's name as the timeline shows it, e.g. "Council 2026"`,
				`test.yaml:8: web.meetings[1].end: required: the meeting's last day, e.g. 2026-06-19`,
			},
		},
		{
			name: "same port as metrics",
			src:  feed + "metrics: {listen: \"127.0.0.1:9464\"}\nweb: {listen: \"127.0.0.1:9464\"}\n",
			want: []string{`test.yaml:4: web.listen: "127.0.0.1:9464" is also metrics.listen; give the web view its own port, e.g. "127.0.0.1:8080"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.src), env(tt.env))
			if err == nil {
				t.Fatalf("no problems; want %q", tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
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
