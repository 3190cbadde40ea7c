package config

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ituwatch/ituwatch/internal/didyoumean"
)

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
