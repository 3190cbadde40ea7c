package config

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Web is the optional read-only web view: a timeline of alerts by topic,
// a page per alert (the permalink chat alerts link to when BaseURL is set),
// search, documents by meeting, sources and rules.
type Web struct {
	// Listen is host:port; "" = off. Anything but loopback needs Auth.
	Listen string `yaml:"listen,omitempty" json:"listen,omitempty"`
	// BaseURL is where people reach the web view (behind a proxy, its
	// public address); alerts link to BaseURL + "/alerts/N". "" = no links.
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	// Auth says who may read the pages; required unless Listen is loopback.
	Auth WebAuth `yaml:"auth,omitempty" json:"auth,omitempty"`
	// Meetings are marked on the timeline besides those seen in documents.
	Meetings []Meeting `yaml:"meetings,omitempty" json:"meetings,omitempty"`
}

// WebAuth is one of two choices: a reverse proxy that authenticates and
// names the user in a header (ProxyHeader and Allow), or HTTP basic
// authentication with one shared user and password (Basic).
type WebAuth struct {
	ProxyHeader string    `yaml:"proxy_header,omitempty" json:"proxy_header,omitempty"`
	Allow       []string  `yaml:"allow,omitempty" json:"allow,omitempty"`
	Basic       *WebBasic `yaml:"basic,omitempty" json:"basic,omitempty"`
}

// IsSet reports whether an authentication choice is configured.
func (a WebAuth) IsSet() bool { return a.ProxyHeader != "" || a.Basic != nil }

// WebBasic is the shared user and password of basic authentication.
type WebBasic struct {
	User     string `yaml:"user" json:"user"`
	Password Secret `yaml:"password" json:"password"`
}

type plainWebBasic WebBasic

func (b WebBasic) Format(f fmt.State, verb rune) { formatPlain(f, verb, plainWebBasic(b), "WebBasic") }

// Meeting is an ITU meeting to mark on the timeline: a name such as
// "Council 2026" and its first and last day.
type Meeting struct {
	Name  string    `yaml:"name" json:"name"`
	Start time.Time `yaml:"start" json:"start"`
	End   time.Time `yaml:"end" json:"end"`
}

type meetingView struct {
	Name  string `yaml:"name" json:"name"`
	Start string `yaml:"start" json:"start"`
	End   string `yaml:"end" json:"end"`
}

// MarshalYAML writes the days as the file does, without a time of day.
func (m Meeting) MarshalYAML() (any, error) {
	return meetingView{m.Name, m.Start.Format(time.DateOnly), m.End.Format(time.DateOnly)}, nil
}

// DefaultWebListen is where `demo --web` serves when not told otherwise.
const DefaultWebListen = "127.0.0.1:8080"

func (p *parser) web(w *Web, n *yaml.Node, path string) {
	p.section(n, path,
		field{"listen", p.str(&w.Listen)},
		field{"base_url", p.str(&w.BaseURL)},
		field{"auth", func(v *yaml.Node, path string) {
			p.section(v, path,
				field{"proxy_header", p.str(&w.Auth.ProxyHeader)},
				field{"allow", p.strs(&w.Auth.Allow)},
				field{"basic", func(v *yaml.Node, path string) {
					w.Auth.Basic = &WebBasic{}
					p.section(v, path,
						field{"user", p.str(&w.Auth.Basic.User)},
						field{"password", p.secret(&w.Auth.Basic.Password, "ITUWATCH_WEB_PASSWORD")},
					)
				}},
			)
		}},
		field{"meetings", func(v *yaml.Node, path string) { w.Meetings = p.meetings(v, path) }},
	)
}

func (p *parser) meetings(n *yaml.Node, path string) []Meeting {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.problem(n.Line, path, "must be a list of meetings, each as {name: \"Council 2026\", start: 2026-06-09, end: 2026-06-19}")
		return nil
	}
	out := make([]Meeting, len(n.Content))
	for i, mn := range n.Content {
		sub := fmt.Sprintf("%s[%d]", path, i)
		m := &out[i]
		p.lines[sub] = mn.Line
		date := func(dst *time.Time) func(*yaml.Node, string) {
			return func(v *yaml.Node, path string) {
				s, ok := p.scalar(v, path, false)
				if !ok || s == "" {
					return
				}
				t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
				if err != nil {
					p.problem(resolve(v).Line, path, "%q is not a date; write it as YYYY-MM-DD, e.g. 2026-06-09", s)
					p.reported[path] = true
					return
				}
				*dst = t
			}
		}
		p.section(mn, sub,
			field{"name", p.str(&m.Name)},
			field{"start", date(&m.Start)},
			field{"end", date(&m.End)},
		)
	}
	return out
}

// checkWeb refuses a web view that anyone on the network could read, and
// auth settings that would not work.
func (p *parser) checkWeb(c *Config) {
	w := &c.Web
	if w.BaseURL != "" {
		if msg := checkWebURL(w.BaseURL); msg != "" {
			p.bad("web.base_url", "%s; write where people reach the web view, e.g. https://ituwatch.example.org", msg)
		} else if strings.ContainsAny(w.BaseURL, "?#") {
			p.bad("web.base_url", "%q has a query or fragment; write only the address the pages live under, e.g. https://ituwatch.example.org/itu", w.BaseURL)
		}
	}
	for i, m := range w.Meetings {
		f := p.itemField("web.meetings", i, len(w.Meetings))
		if strings.TrimSpace(m.Name) == "" {
			p.bad(f+".name", "required: the meeting's name as the timeline shows it, e.g. \"Council 2026\"")
		}
		if m.Start.IsZero() {
			p.bad(f+".start", "required: the meeting's first day, e.g. 2026-06-09")
		}
		if m.End.IsZero() {
			p.bad(f+".end", "required: the meeting's last day, e.g. 2026-06-19")
		}
		if !m.Start.IsZero() && !m.End.IsZero() && m.End.Before(m.Start) {
			p.bad(f+".end", "%s is before the start (%s); swap them", m.End.Format(time.DateOnly), m.Start.Format(time.DateOnly))
		}
	}
	a := &w.Auth
	if a.ProxyHeader != "" && a.Basic != nil {
		p.bad("web.auth", "choose one: proxy_header (a reverse proxy that signs people in) or basic (one shared user and password), not both")
	}
	if a.ProxyHeader != "" {
		if !validHeaderName(a.ProxyHeader) {
			p.bad("web.auth.proxy_header", "%q is not a header name; write the header your proxy sets to the signed-in user, e.g. X-Forwarded-User", a.ProxyHeader)
		}
		if len(a.Allow) == 0 {
			p.bad("web.auth.allow", "required with proxy_header: list who may read the web view as the proxy names them, e.g. allow: [alice@example.org]")
		}
	} else if len(a.Allow) > 0 {
		p.bad("web.auth.allow", "only works with proxy_header; add proxy_header: X-Forwarded-User (the header your proxy sets) or remove allow")
	}
	if b := a.Basic; b != nil {
		if strings.TrimSpace(b.User) == "" || strings.Contains(b.User, ":") {
			p.bad("web.auth.basic.user", "required: the user name people type, without a colon, e.g. user: policy")
		}
		if !b.Password.IsSet() {
			p.bad("web.auth.basic.password", "required: a long random password, kept in the environment, e.g. password: ${ITUWATCH_WEB_PASSWORD}")
		} else if len(b.Password.Value()) < 12 {
			// A warning, not a refusal: the printed config's "[redacted]"
			// must still parse.
			p.doubt("web.auth.basic.password", "is short enough to guess; use at least 12 random characters (e.g. openssl rand -base64 18)")
		}
	}
	l := w.Listen
	if l == "" {
		return
	}
	host, port, err := net.SplitHostPort(l)
	if err != nil {
		p.bad("web.listen", "%q is not host:port; write e.g. %q", l, DefaultWebListen)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.bad("web.listen", "%q has no valid port; write e.g. %q", l, DefaultWebListen)
		return
	}
	if l == c.Metrics.Listen && port != "0" {
		p.bad("web.listen", "%q is also metrics.listen; give the web view its own port, e.g. %q", l, DefaultWebListen)
	}
	if !isLoopbackHost(host) && !a.IsSet() {
		p.bad("web.listen", "%q can be reached from other machines, so the web view needs web.auth: either {proxy_header: X-Forwarded-User, allow: [alice@example.org]} behind a proxy that signs people in, or {basic: {user: policy, password: \"${ITUWATCH_WEB_PASSWORD}\"}}; or listen on \"127.0.0.1:%s\"", l, port)
	}
}

// validHeaderName accepts the token characters of an HTTP header name.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) {
			return false
		}
	}
	return http.CanonicalHeaderKey(s) != ""
}
