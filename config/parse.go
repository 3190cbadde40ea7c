package config

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/ituwatch/ituwatch/internal/didyoumean"
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

// field is one known key of a section and what to do with its value.
type field struct {
	name string
	set  func(val *yaml.Node, path string)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

type pair struct{ key, val *yaml.Node }

// pairs lists a mapping's entries, with YAML merge keys ("<<: *defaults")
// filled in where the mapping does not set the key itself.
func pairs(n *yaml.Node) []pair {
	return mergePairs(n, map[*yaml.Node]bool{n: true})
}

// mergePairs visits every merged mapping once, so that a mapping merging
// itself, or a chain of merges referring to each other many times, costs
// no more than the file is long.
func mergePairs(n *yaml.Node, visited map[*yaml.Node]bool) []pair {
	var local []pair
	have := map[string]bool{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" && k.Tag == "!!merge" {
			merges = append(merges, resolve(v))
			continue
		}
		local = append(local, pair{k, v})
		have[k.Value] = true
	}
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if m != nil && m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			s = resolve(s)
			if s == nil || s.Kind != yaml.MappingNode || visited[s] {
				continue
			}
			visited[s] = true
			for _, pr := range mergePairs(s, visited) {
				if !have[pr.key.Value] {
					have[pr.key.Value] = true
					local = append(local, pr)
				}
			}
		}
	}
	return local
}

// section walks a mapping, handing each known key to its field and
// reporting unknown and repeated keys. It reports whether n was a mapping.
func (p *parser) section(n *yaml.Node, path string, fields ...field) bool {
	n = resolve(n)
	if isNull(n) {
		return false
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	if n.Kind != yaml.MappingNode {
		p.problem(n.Line, path, "must be a section of settings (%s), each on its own line as key: value", strings.Join(names, ", "))
		return false
	}
	seen := map[string]int{}
	for _, pr := range pairs(n) {
		key := pr.key.Value
		sub := join(path, key)
		if first, dup := seen[key]; dup {
			p.problem(pr.key.Line, sub, "is set twice (first on line %d); keep one", first)
			continue
		}
		seen[key] = pr.key.Line
		var f *field
		for i := range fields {
			if fields[i].name == key {
				f = &fields[i]
			}
		}
		if f == nil {
			if s := didyoumean.Closest(key, names); s != "" {
				p.problem(pr.key.Line, path, "unknown key %q; did you mean %q?", key, s)
			} else {
				p.problem(pr.key.Line, path, "unknown key %q; the keys allowed here are %s", key, strings.Join(names, ", "))
			}
			continue
		}
		p.lines[sub] = pr.key.Line
		f.set(pr.val, sub)
	}
	return true
}

// scalar returns the text of a single value with ${ENV} expanded. ok is
// false when a problem was reported. Secrets are never quoted in messages.
func (p *parser) scalar(n *yaml.Node, path string, secret bool) (string, bool) {
	n = resolve(n)
	if isNull(n) {
		return "", true
	}
	switch n.Kind {
	case yaml.MappingNode:
		p.problem(n.Line, path, "must be a single value, not a section")
		return "", false
	case yaml.SequenceNode:
		p.problem(n.Line, path, "must be a single value, not a list")
		return "", false
	}
	out, unset, err := expandEnv(n.Value, p.lookup)
	if err != nil {
		p.reported[path] = true
		p.problem(n.Line, path, "%v", err)
		return "", false
	}
	if len(unset) > 0 {
		p.reported[path] = true
		for _, name := range unset {
			if secret {
				p.problem(n.Line, path, "environment variable %s is not set; set it where ituwatch runs (the secret itself does not belong in this file)", name)
			} else {
				p.problem(n.Line, path, "environment variable %s is not set; set it, or give a default with ${%s:-value}", name, name)
			}
		}
		return "", false
	}
	return out, true
}

func (p *parser) str(dst *string) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		if v, ok := p.scalar(n, path, false); ok {
			*dst = strings.TrimSpace(v)
		}
	}
}

// secret reads a Secret, warning when its value is written in the file
// instead of taken from envVar.
func (p *parser) secret(dst *Secret, envVar string) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		v, ok := p.scalar(n, path, true)
		if !ok {
			return
		}
		v = strings.TrimSpace(v)
		if strings.ContainsFunc(v, unicode.IsControl) {
			// A token with a line break inside would be sent as two header
			// lines or refused far from here; never quote it.
			p.reported[path] = true
			p.problem(resolve(n).Line, path, "%s", controlCharMessage(resolve(n).Value, p.lookup))
			return
		}
		*dst = Secret(v)
		if n = resolve(n); v != "" && !hasEnvRef(n.Value) {
			key := path[strings.LastIndexByte(path, '.')+1:]
			p.warn(n.Line, path, "a secret is written in the file, where anyone who can read it can use it; put it in an environment variable and write %s: ${%s}", key, envVar)
		}
	}
}

// controlCharMessage says which variable of the written value raw holds a
// control character, naming it but never showing its value.
func controlCharMessage(raw string, lookup func(string) (string, bool)) string {
	var names []string
	for _, name := range envRefNames(raw) {
		if v, ok := lookup(name); ok && strings.ContainsFunc(strings.TrimSpace(v), unicode.IsControl) {
			names = append(names, name)
		}
	}
	const fix = "a line break or another control character, which no token, password or key contains; "
	switch len(names) {
	case 0:
		return "the value contains " + fix + "write it on one line, without tabs"
	case 1:
		return fmt.Sprintf("environment variable %s contains %sset it again with only the secret itself (copy it without the line break)", names[0], fix)
	}
	return fmt.Sprintf("environment variables %s contain %sset them again with only the secrets themselves", oneOf(names), fix)
}

func (p *parser) boolean(dst *bool) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		v, ok := p.scalar(n, path, false)
		if !ok || v == "" {
			return
		}
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "yes", "on":
			*dst = true
		case "false", "no", "off":
			*dst = false
		default:
			p.problem(n.Line, path, "%q is not true or false", v)
		}
	}
}

func (p *parser) integer(dst *int) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		v, ok := p.scalar(n, path, false)
		if !ok || v == "" {
			return
		}
		i, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(v), "_", ""))
		if err != nil {
			p.problem(n.Line, path, "%q is not a whole number; write digits only, e.g. 5", v)
			return
		}
		*dst = i
	}
}

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
}

var sizeRe = regexp.MustCompile(`^([0-9][0-9_]*)\s*([A-Za-z]*)$`)

// size reads a byte count, plain ("10485760") or with a unit ("10MiB").
func (p *parser) size(dst *int64) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		v, ok := p.scalar(n, path, false)
		if !ok || v == "" {
			return
		}
		m := sizeRe.FindStringSubmatch(strings.TrimSpace(v))
		var unit int64
		if m != nil {
			unit = sizeUnits[strings.ToLower(m[2])]
		}
		num, err := int64(0), error(nil)
		if m != nil {
			num, err = strconv.ParseInt(strings.ReplaceAll(m[1], "_", ""), 10, 64)
		}
		if m == nil || unit == 0 || err != nil || num > (1<<62)/unit {
			p.problem(n.Line, path, "%q is not a size; write a number of bytes, e.g. 10485760 or 10MiB", v)
			return
		}
		*dst = num * unit
	}
}

// ignored takes a key ituwatch accepts but never reads: its value is not
// looked at, so neither a missing ${VAR} nor a secret in it can fail the file.
func ignored(*yaml.Node, string) {}

// sizeText writes n as the file would: "10MiB", "512KiB", else bytes.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return strconv.FormatInt(n, 10)
}

func (p *parser) duration(dst *time.Duration) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		v, ok := p.scalar(n, path, false)
		if !ok || v == "" {
			return
		}
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			p.problem(n.Line, path, "%q is not a duration; write a number with a unit, e.g. 30s or 2m", v)
			return
		}
		*dst = d
	}
}

// list reads a list of single values; a lone value counts as a list of one,
// since "to: console" is what people write.
func (p *parser) list(n *yaml.Node, path string, each func(v string, line int, path string)) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	items := []*yaml.Node{n}
	indexed := false
	if n.Kind == yaml.SequenceNode {
		items, indexed = n.Content, true
	}
	for i, it := range items {
		sub := path
		if indexed {
			sub = fmt.Sprintf("%s[%d]", path, i)
			p.lines[sub] = it.Line
		}
		if v, ok := p.scalar(it, sub, false); ok {
			each(strings.TrimSpace(v), resolve(it).Line, sub)
		}
	}
}

func (p *parser) strs(dst *[]string) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		p.list(n, path, func(v string, _ int, _ string) { *dst = append(*dst, v) })
	}
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
	)
}

func (p *parser) store(s *Store, n *yaml.Node, path string) {
	p.section(n, path,
		field{"path", p.str(&s.Path)},
		// Accepted, whatever it holds, so that files written for a planned
		// PostgreSQL store keep working; checkStore says it is ignored.
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
