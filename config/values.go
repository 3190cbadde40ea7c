package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

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
