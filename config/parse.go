package config

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
)

// Parse reads a config from data, as if from file (used in messages and to
// resolve rule pack paths), taking ${ENV} values from lookupEnv. On any
// problem it returns nil and a Problems listing all of them.
func Parse(file string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	p := &parser{
		file:     file,
		dir:      filepath.Dir(file),
		lookup:   lookupEnv,
		lines:    map[string]int{},
		reported: map[string]bool{},
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.syntaxError(err, data)
		return nil, p.probs
	}
	if len(doc.Content) == 0 || isNull(resolve(doc.Content[0])) {
		// Running on every default would watch nothing and look fine; an
		// empty file is far more often a mistake (a failed copy, the wrong file).
		p.problem(0, "", "the file is empty; delete it and run `ituwatch init -c %s` to write a starter config, or copy ituwatch.example.yaml over it", file)
		return nil, p.probs
	}
	c := &Config{File: file}
	p.root(c, doc.Content[0])
	applyDefaults(c)
	p.validate(c)
	if len(p.probs) > 0 {
		p.probs.Sort()
		return nil, p.probs
	}
	p.warns.Sort()
	c.Warnings = p.warns
	c.lines = p.lines
	return c, nil
}

// parser walks the YAML node tree itself, rather than decoding into structs,
// so that every key and value keeps its line and one pass finds every problem.
type parser struct {
	file   string
	dir    string
	lookup func(string) (string, bool)
	probs  Problems
	warns  Problems
	// lines maps field paths to where they are written, for checks that run
	// after the walk.
	lines map[string]int
	// reported marks fields (and, through their paths, their children)
	// already reported as broken, such as a ${VAR} that could not be
	// expanded or a source that is not a section, so that later checks do
	// not pile "required" and "malformed" on top of the real mistake.
	reported map[string]bool
}

func (p *parser) problem(line int, field, format string, args ...any) {
	p.probs.Addf(p.file, line, field, format, args...)
}

func (p *parser) warn(line int, field, format string, args ...any) {
	p.warns.Addf(p.file, line, field, format, args...)
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) syntaxError(err error, data []byte) {
	msg := err.Error()
	line := 0
	if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		// yaml.v3 leaves out the line when the mistake is on the first one.
		line = 1
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	hint := "check the indentation and quoting on this line and the one before"
	if strings.Contains(msg, "expected ',' or '}'") && bytes.Contains(data, []byte("${")) {
		hint = "inside { } braces a ${…} value must be quoted, e.g. {bot_token: \"${SLACK_BOT_TOKEN}\"}; otherwise " + hint
	}
	p.problem(line, "", "the file is not valid YAML (%s); %s", msg, hint)
}

func (p *parser) root(c *Config, n *yaml.Node) {
	n = resolve(n)
	if isNull(n) {
		return // an empty file: every default
	}
	if n.Kind != yaml.MappingNode {
		p.problem(n.Line, "", "the file must be a set of sections (store, http, sources, rules, routes, slack, matrix, metrics); start from ituwatch.example.yaml")
		return
	}
	p.section(n, "",
		field{"store", func(v *yaml.Node, path string) { p.store(&c.Store, v, path) }},
		field{"http", func(v *yaml.Node, path string) { p.http(&c.HTTP, v, path) }},
		field{"sources", func(v *yaml.Node, path string) { c.Sources = p.sources(v, path) }},
		field{"rules", func(v *yaml.Node, path string) {
			p.section(v, path, field{"packs", p.strs(&c.Rules.Packs)})
		}},
		field{"routes", func(v *yaml.Node, path string) { c.Routes = p.routes(v, path) }},
		field{"alerts", func(v *yaml.Node, path string) {
			p.section(v, path, field{"max_per_poll", func(v *yaml.Node, path string) {
				// Written as 0 it would read as "the default"; say so instead.
				c.Alerts.MaxPerPoll = -1
				p.integer(&c.Alerts.MaxPerPoll)(v, path)
				if c.Alerts.MaxPerPoll == -1 {
					c.Alerts.MaxPerPoll = 0 // left empty, or not a number (reported)
				} else if c.Alerts.MaxPerPoll == 0 {
					p.problem(resolve(v).Line, path, "%s", alertLimitRange(0))
					p.reported[path] = true
				}
			}})
		}},
		field{"slack", func(v *yaml.Node, path string) {
			c.Slack = &Slack{}
			p.slack(c.Slack, v, path)
		}},
		field{"matrix", func(v *yaml.Node, path string) {
			c.Matrix = &Matrix{}
			p.matrix(c.Matrix, v, path)
		}},
		field{"metrics", func(v *yaml.Node, path string) {
			p.section(v, path, field{"listen", p.str(&c.Metrics.Listen)})
		}},
		field{"delivery", func(v *yaml.Node, path string) { p.delivery(&c.Delivery, v, path) }},
		field{"web", func(v *yaml.Node, path string) { p.web(&c.Web, v, path) }},
	)
}

func (p *parser) store(s *Store, n *yaml.Node, path string) {
	p.section(n, path,
		field{"driver", p.str(&s.Driver)},
		field{"path", p.str(&s.Path)},
		field{"dsn", p.secret(&s.DSN, "ITUWATCH_PG_DSN")},
		// Accepted, whatever it holds, so that files written before
		// store.driver keep working; checkStore says it is ignored.
		field{"postgres", ignored},
	)
}

func (p *parser) http(h *HTTP, n *yaml.Node, path string) {
	p.section(n, path,
		field{"allow_private_networks", p.boolean(&h.AllowPrivateNetworks)},
		field{"user_agent", p.str(&h.UserAgent)},
		field{"timeout", p.duration(&h.Timeout)},
		field{"max_body_bytes", p.size(&h.MaxBodyBytes)},
		field{"per_host_concurrency", p.integer(&h.PerHostConcurrency)},
		field{"concurrency", p.integer(&h.Concurrency)},
		field{"body_memory", p.size(&h.BodyMemory)},
	)
}

func (p *parser) sources(n *yaml.Node, path string) []Source {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.problem(n.Line, path, "must be a list of sources, each starting with \"- id:\"")
		return nil
	}
	out := make([]Source, len(n.Content))
	for i, sn := range n.Content {
		sub := fmt.Sprintf("%s[%d]", path, i)
		s := &out[i]
		s.Line = sn.Line
		p.lines[sub] = sn.Line
		if isNull(resolve(sn)) {
			p.problem(sn.Line, sub, "is empty; give the source an id, type, url and schedule")
			continue
		}
		if resolve(sn).Kind != yaml.MappingNode {
			p.reported[sub] = true
		}
		p.section(sn, sub,
			field{"id", p.str(&s.ID)},
			field{"name", p.str(&s.Name)},
			field{"type", p.str(&s.Type)},
			field{"url", p.str(&s.URL)},
			field{"schedule", p.str(&s.Schedule)},
			field{"max_pages", p.integer(&s.MaxPages)},
			field{"selector", p.str(&s.Selector)},
			field{"max_alerts_per_poll", p.integer(&s.MaxAlertsPerPoll)},
			field{"document_language", p.str(&s.DocumentLanguage)},
			field{"max_documents_per_poll", p.integer(&s.MaxDocumentsPerPoll)},
		)
	}
	return out
}

func (p *parser) routes(n *yaml.Node, path string) []Route {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.problem(n.Line, path, "must be a list of routes, each starting with \"- topics:\"")
		return nil
	}
	out := make([]Route, len(n.Content))
	for i, rn := range n.Content {
		sub := fmt.Sprintf("%s[%d]", path, i)
		r := &out[i]
		p.lines[sub] = rn.Line
		if r := resolve(rn); r.Kind != yaml.MappingNode {
			if isNull(r) {
				p.problem(rn.Line, sub, "is empty; give the route topics and to")
			}
			p.reported[sub] = true
		}
		p.section(rn, sub,
			field{"topics", p.strs(&r.Topics)},
			field{"min_severity", func(v *yaml.Node, path string) {
				s, ok := p.scalar(v, path, false)
				if !ok || s == "" {
					return
				}
				sev, err := model.ParseSeverity(s)
				if err != nil {
					p.problem(resolve(v).Line, path, "%v", err)
					return
				}
				r.MinSeverity = sev
			}},
			field{"to", func(v *yaml.Node, path string) {
				p.list(v, path, func(s string, line int, path string) {
					d, err := model.ParseDestination(s)
					if err != nil {
						p.problem(line, path, "%v", err)
					}
					// A failed entry keeps its place so later checks name the right index.
					r.To = append(r.To, d)
				})
			}},
			field{"proposers", func(v *yaml.Node, path string) {
				p.list(v, path, func(s string, line int, path string) {
					// Canonical names, so the route compares what listings give.
					name, err := itudoc.CheckProposer(s)
					if err != nil {
						p.problem(line, path, "%v", err)
						return
					}
					if !slices.Contains(r.Proposers, name) {
						r.Proposers = append(r.Proposers, name)
					}
				})
			}},
			field{"digest", func(v *yaml.Node, path string) { r.Digest = p.routeDigest(v, path) }},
		)
	}
	return out
}

func (p *parser) slack(s *Slack, n *yaml.Node, path string) {
	p.section(n, path,
		field{"bot_token", p.secret(&s.BotToken, "SLACK_BOT_TOKEN")},
		field{"app_token", p.secret(&s.AppToken, "SLACK_APP_TOKEN")},
		// Accepted unread, like store.postgres; checkSlack says so.
		field{"signing_secret", ignored},
		field{"api_url", p.str(&s.APIURL)},
		field{"admins", p.strs(&s.Admins)},
	)
}

func (p *parser) matrix(m *Matrix, n *yaml.Node, path string) {
	p.section(n, path,
		field{"homeserver", p.str(&m.Homeserver)},
		field{"user_id", p.str(&m.UserID)},
		field{"device_id", p.str(&m.DeviceID)},
		field{"access_token", p.secret(&m.AccessToken, "MATRIX_ACCESS_TOKEN")},
		field{"password", p.secret(&m.Password, "MATRIX_PASSWORD")},
		field{"allowed_users", p.strs(&m.AllowedUsers)},
		field{"allowed_homeservers", p.strs(&m.AllowedHomeservers)},
		field{"admins", p.strs(&m.Admins)},
		field{"encryption", func(v *yaml.Node, path string) {
			p.section(v, path,
				field{"enabled", p.boolean(&m.Encryption.Enabled)},
				field{"pickle_key", p.secret(&m.Encryption.PickleKey, "MATRIX_PICKLE_KEY")},
			)
		}},
	)
}

// routeDigest reads a route's digest: a section (schedule, timezone, below)
// or, for short, just the schedule ("digest: daily").
func (p *parser) routeDigest(n *yaml.Node, path string) *RouteDigest {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	d := &RouteDigest{}
	p.lines[path] = n.Line
	if n.Kind == yaml.ScalarNode {
		d.Schedule, _ = p.scalar(n, path, false)
		return d
	}
	p.section(n, path,
		field{"schedule", p.str(&d.Schedule)},
		field{"timezone", p.str(&d.Timezone)},
		field{"below", func(v *yaml.Node, path string) {
			s, ok := p.scalar(v, path, false)
			if !ok || s == "" {
				return
			}
			sev, err := model.ParseSeverity(s)
			if err != nil {
				p.problem(resolve(v).Line, path, "%v; alerts at this severity and above are posted at once, the others wait for the digest", err)
				return
			}
			d.Below = sev
		}},
	)
	return d
}
