package rules

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ituwatch/ituwatch/model"
)

func parseSets(p *packProblems, n *yaml.Node, names map[string]int) []setSpec {
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "", "sets must be a mapping of set names to lists of terms")
		return nil
	}
	var out []setSpec
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		where := "set " + k.Value
		if !setNamePattern.MatchString(k.Value) {
			p.add(k.Line, "", "set name %q: use letters, digits, _ and -", k.Value)
			continue
		}
		if first, dup := names[k.Value]; dup {
			p.add(k.Line, "", "duplicate set %q (first defined on line %d)", k.Value, first)
			continue
		}
		names[k.Value] = k.Line
		if v.Kind == yaml.AliasNode {
			p.add(v.Line, where, "anchors and aliases (& and *) are not supported in rule packs")
			continue
		}
		terms := stringList(p, v, where, "the set")
		for j, t := range terms {
			line := v.Line
			if v.Kind == yaml.SequenceNode && j < len(v.Content) {
				line = v.Content[j].Line
			}
			if msg := checkPhrase(t); msg != "" {
				p.add(line, where, "%s", msg)
			}
		}
		out = append(out, setSpec{name: k.Value, terms: terms, line: k.Line})
	}
	return out
}

var topicKeys = []string{"id", "name", "severity", "annotation", "min_score", "sources", "exclude_sources", "proposers", "match"}

func parseTopics(p *packProblems, n *yaml.Node, source string, sets map[string]int) []topicSpec {
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "", "topics must be a list; start each topic with \"- id: ...\"")
		return nil
	}
	if len(n.Content) == 0 {
		p.add(n.Line, "", "topics is empty; a pack needs at least one topic")
	}
	seen := map[string]int{}
	var out []topicSpec
	for i, tn := range n.Content {
		where := fmt.Sprintf("topic #%d", i+1)
		if tn.Kind != yaml.MappingNode {
			p.add(tn.Line, where, "a topic is a mapping with id:, name:, severity: and match:")
			continue
		}
		t := topicSpec{line: tn.Line, minScore: 1, source: source}
		// Name the topic by its id in every message, even those about keys
		// that come before id:.
		for j := 0; j+1 < len(tn.Content); j += 2 {
			if k, v := tn.Content[j], tn.Content[j+1]; k.Value == "id" && v.Kind == yaml.ScalarNode && v.Value != "" {
				where = "topic " + v.Value
			}
		}
		keys := mappingKeys(p, tn, where, topicKeys)
		if v, ok := keys["id"]; ok {
			t.id = scalarString(p, v, where, "id")
			if t.id != "" {
				if !topicIDPattern.MatchString(t.id) {
					p.add(v.Line, where, "id %q: use lowercase letters, digits and -, e.g. new-ip", t.id)
				}
				if first, dup := seen[t.id]; dup {
					p.add(v.Line, where, "duplicate topic id (first defined on line %d)", first)
				} else {
					seen[t.id] = v.Line
				}
			}
		} else {
			p.add(tn.Line, where, "id is missing")
		}
		if v, ok := keys["name"]; ok {
			t.name = scalarString(p, v, where, "name")
		} else {
			p.add(tn.Line, where, "name is missing; give the topic a name people will read in alerts")
		}
		if v, ok := keys["severity"]; ok {
			if s := scalarString(p, v, where, "severity"); s != "" {
				sev, err := model.ParseSeverity(s)
				if err != nil {
					p.add(v.Line, where, "%v", err)
				}
				t.severity = sev
			}
		} else {
			p.add(tn.Line, where, "severity is missing (low, medium, high or critical)")
		}
		if v, ok := keys["annotation"]; ok {
			if v.Kind != yaml.ScalarNode {
				p.add(v.Line, where, "annotation must be text")
			} else {
				t.annotation = strings.TrimSpace(v.Value)
			}
		}
		if v, ok := keys["min_score"]; ok {
			f, err := strconv.ParseFloat(v.Value, 64)
			if v.Kind != yaml.ScalarNode || err != nil || f <= 0 || f != f {
				p.add(v.Line, where, "min_score must be a number greater than 0, not %q", v.Value)
			} else {
				t.minScore = f
			}
		}
		for _, key := range []string{"sources", "exclude_sources"} {
			v, ok := keys[key]
			if !ok {
				continue
			}
			globs := stringList(p, v, where, key)
			for _, g := range globs {
				if _, err := path.Match(g, ""); err != nil {
					p.add(v.Line, where, "%s: %q is not a valid pattern (use * and ?, e.g. \"itu-*\")", key, g)
				}
			}
			if key == "sources" {
				t.sources = globs
			} else {
				t.excludeSources = globs
			}
		}
		if v, ok := keys["proposers"]; ok {
			t.proposers = parseProposers(p, v, where)
		}
		if v, ok := keys["match"]; ok {
			t.match = parseNode(p, v, where, sets, 0)
			if t.match != nil && !hasPositive(t.match) {
				p.add(v.Line, where, "match has no term outside none:, so the topic could never match")
			}
		} else {
			p.add(tn.Line, where, "match is missing; say which words make an item belong to the topic")
		}
		out = append(out, t)
	}
	return out
}

func hasPositive(n *nodeSpec) bool {
	if n.kind != nodeGroup {
		return true
	}
	for _, c := range slices.Concat(n.any, n.all) {
		if hasPositive(c) {
			return true
		}
	}
	return false
}
