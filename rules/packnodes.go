package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var nodeKeys = []string{"phrase", "phrases", "set", "regex", "near", "within", "any", "all", "none", "weight", "fields", "lang"}

func parseNode(p *packProblems, n *yaml.Node, where string, sets map[string]int, depth int) *nodeSpec {
	if depth > maxDepth {
		p.add(n.Line, where, "match is nested more than %d levels deep", maxDepth)
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		s := scalarString(p, n, where, "phrase")
		if s == "" {
			return nil
		}
		if msg := checkPhrase(s); msg != "" {
			p.add(n.Line, where, "%s", msg)
		}
		return &nodeSpec{line: n.Line, kind: nodeTerms, terms: []string{s}, weight: 1}
	case yaml.MappingNode:
	case yaml.AliasNode:
		p.add(n.Line, where, "anchors and aliases (& and *) are not supported in rule packs; quote terms that start with *")
		return nil
	default:
		p.add(n.Line, where, "expected a phrase or a node such as {phrase: ...}, any:, all: or none:")
		return nil
	}
	keys := mappingKeys(p, n, where, nodeKeys)
	nd := &nodeSpec{line: n.Line, weight: 1}
	var leafKeys, groupKeys []string
	for _, k := range []string{"phrase", "phrases", "set", "regex", "near"} {
		if _, ok := keys[k]; ok {
			leafKeys = append(leafKeys, k)
		}
	}
	for _, k := range []string{"any", "all", "none"} {
		if _, ok := keys[k]; ok {
			groupKeys = append(groupKeys, k)
		}
	}
	switch {
	case len(leafKeys) == 0 && len(groupKeys) == 0:
		if len(n.Content) == 0 || len(keys) > 0 {
			p.add(n.Line, where, "empty match: give a phrase, phrases, set, regex, near, any, all or none")
		}
		return nil
	case len(leafKeys) > 1:
		p.add(n.Line, where, "use only one of %s in a node; put several terms under any:", strings.Join(leafKeys, ", "))
		return nil
	case len(leafKeys) == 1 && len(groupKeys) > 0:
		p.add(n.Line, where, "a node is either a term (%s) or a group (%s), not both; wrap the term in its own node", leafKeys[0], strings.Join(groupKeys, ", "))
		return nil
	}
	if len(groupKeys) > 0 {
		nd.kind = nodeGroup
		for _, k := range []string{"weight", "fields", "within", "lang"} {
			if v, ok := keys[k]; ok {
				p.add(v.Line, where, "%s only applies to a term (phrase, phrases, set, regex or near), not to %s", k, groupKeys[0])
			}
		}
		for _, k := range groupKeys {
			v := keys[k]
			if v.Kind != yaml.SequenceNode {
				p.add(v.Line, where, "%s must be a list of nodes", k)
				continue
			}
			if len(v.Content) == 0 {
				p.add(v.Line, where, "empty match: %s has no entries", k)
				continue
			}
			var kids []*nodeSpec
			for _, c := range v.Content {
				if kid := parseNode(p, c, where, sets, depth+1); kid != nil {
					kids = append(kids, kid)
				}
			}
			switch k {
			case "any":
				nd.any = kids
			case "all":
				nd.all = kids
			case "none":
				nd.none = kids
			}
		}
		return nd
	}
	if v, ok := keys["weight"]; ok {
		f, err := strconv.ParseFloat(v.Value, 64)
		if v.Kind != yaml.ScalarNode || err != nil || f <= 0 || f != f || f > 1e6 {
			p.add(v.Line, where, "weight must be a number greater than 0, not %q", v.Value)
		} else {
			nd.weight = f
		}
	}
	if v, ok := keys["fields"]; ok {
		for _, f := range stringList(p, v, where, "fields") {
			i := slices.Index(fieldNames[:], strings.ToLower(strings.TrimSpace(f)))
			if i < 0 {
				p.add(v.Line, where, "fields: unknown field %q (use title, summary or content)", f)
				continue
			}
			nd.fields |= 1 << i
		}
	}
	if v, ok := keys["lang"]; ok {
		l := strings.ToLower(strings.TrimSpace(v.Value))
		if v.Kind != yaml.ScalarNode || !slices.Contains(packLanguages, l) {
			p.add(v.Line, where, "lang must be one of %s (the language the terms are written in), not %q", strings.Join(packLanguages, ", "), v.Value)
		} else if l != "en" {
			nd.lang = l
		}
	}
	if v, ok := keys["within"]; ok && leafKeys[0] != "near" {
		p.add(v.Line, where, "within only applies to near")
	}
	switch leafKeys[0] {
	case "phrase":
		v := keys["phrase"]
		nd.kind = nodeTerms
		if s := scalarString(p, v, where, "phrase"); s != "" {
			if msg := checkPhrase(s); msg != "" {
				p.add(v.Line, where, "%s", msg)
			}
			nd.terms = []string{s}
		}
	case "phrases":
		v := keys["phrases"]
		nd.kind = nodeTerms
		nd.terms = stringList(p, v, where, "phrases")
		for j, s := range nd.terms {
			line := v.Line
			if v.Kind == yaml.SequenceNode && j < len(v.Content) {
				line = v.Content[j].Line
			}
			if msg := checkPhrase(s); msg != "" {
				p.add(line, where, "%s", msg)
			}
		}
	case "set":
		v := keys["set"]
		nd.kind = nodeSet
		nd.set = scalarString(p, v, where, "set")
		checkSetRef(p, v.Line, where, nd.set, sets)
	case "regex":
		v := keys["regex"]
		nd.kind = nodeRegex
		nd.regex = scalarString(p, v, where, "regex")
		if nd.regex != "" {
			if msg := checkRegex(nd.regex); msg != "" {
				p.add(v.Line, where, "%s", msg)
			}
		}
	case "near":
		nd.kind = nodeNear
		nd.within = defaultWithin
		parseNear(p, keys["near"], where, sets, nd)
		if v, ok := keys["within"]; ok {
			w, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil || w <= 0 || w > maxWithin {
				p.add(v.Line, where, "within must be a whole number of words from 1 to %d, not %q", maxWithin, v.Value)
			} else {
				nd.within = w
			}
		}
	}
	return nd
}

func parseNear(p *packProblems, v *yaml.Node, where string, sets map[string]int, nd *nodeSpec) {
	if v.Kind != yaml.SequenceNode {
		p.add(v.Line, where, "near must be a list of at least two terms, e.g. near: [[\"ITU\", \"ITU-T\"], \"new protocol\"]")
		return
	}
	if len(v.Content) < 2 {
		p.add(v.Line, where, "near needs at least two terms")
		return
	}
	if len(v.Content) > maxNearTerms {
		p.add(v.Line, where, "near takes at most %d terms; put alternatives for one place in a list", maxNearTerms)
		return
	}
	for _, el := range v.Content {
		switch el.Kind {
		case yaml.ScalarNode:
			s := scalarString(p, el, where, "near term")
			if s == "" {
				continue
			}
			if msg := checkPhrase(s); msg != "" {
				p.add(el.Line, where, "%s", msg)
			}
			nd.near = append(nd.near, nearGroup{terms: []string{s}})
		case yaml.SequenceNode:
			terms := stringList(p, el, where, "near term list")
			for _, s := range terms {
				if msg := checkPhrase(s); msg != "" {
					p.add(el.Line, where, "%s", msg)
				}
			}
			if len(terms) > 0 {
				nd.near = append(nd.near, nearGroup{terms: terms})
			}
		case yaml.MappingNode:
			keys := mappingKeys(p, el, where, []string{"set"})
			s, ok := keys["set"]
			if !ok {
				p.add(el.Line, where, "a near term is a phrase, a list of phrases or {set: name}")
				continue
			}
			name := scalarString(p, s, where, "set")
			checkSetRef(p, s.Line, where, name, sets)
			nd.near = append(nd.near, nearGroup{set: name})
		default:
			p.add(el.Line, where, "a near term is a phrase, a list of phrases or {set: name}")
		}
	}
}

func checkSetRef(p *packProblems, line int, where, name string, sets map[string]int) {
	if name == "" {
		return
	}
	if _, ok := sets[name]; ok {
		return
	}
	if _, ok := builtinSets()[name]; ok {
		return
	}
	known := make([]string, 0, len(sets))
	for s := range sets {
		known = append(known, s)
	}
	slices.Sort(known)
	if len(known) == 0 {
		p.add(line, where, "unknown set %q (this pack defines no sets; add it under sets:)", name)
		return
	}
	p.add(line, where, "unknown set %q (sets in this pack: %s)", name, strings.Join(known, ", "))
}

// checkPhrase says what is wrong with a phrase, or "".
func checkPhrase(s string) string {
	body, prefix := strings.CutSuffix(strings.TrimSpace(s), "*")
	if strings.Contains(body, "*") {
		return fmt.Sprintf("phrase %q: * only works at the end of the last word, e.g. \"regulat*\"", s)
	}
	var t tokenizer
	t.reset(body)
	n := 0
	lastEnd, lastKind, lastLen := 0, kindNone, 0
	for t.next() {
		n++
		if t.long {
			return fmt.Sprintf("phrase %q: the word %q is longer than %d bytes", s, body[t.start:t.end], maxTokenBytes)
		}
		lastEnd, lastKind, lastLen = t.end, t.kind, len(t.buf)
	}
	switch {
	case n == 0:
		return fmt.Sprintf("phrase %q has no letters or digits", s)
	case n > maxPhraseTokens:
		return fmt.Sprintf("phrase %q is too long (%d words; at most %d)", s, n, maxPhraseTokens)
	case prefix && lastEnd != len(body):
		return fmt.Sprintf("phrase %q: put * right after the last word, e.g. \"regulat*\"", s)
	case prefix && lastKind == kindLetter && lastLen < 3:
		return fmt.Sprintf("phrase %q: write at least 3 letters before *", s)
	case prefix && lastLen >= maxTokenBytes:
		return fmt.Sprintf("phrase %q: the word before * is too long", s)
	}
	return ""
}

func checkRegex(expr string) string {
	if _, err := regexp.Compile(expr); err != nil {
		msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
		return fmt.Sprintf("regex %q is not valid: %s", expr, msg)
	}
	re, err := regexp.Compile("(?i)" + expr)
	if err != nil {
		return fmt.Sprintf("regex %q is not valid: %v", expr, err)
	}
	if re.MatchString("") {
		return fmt.Sprintf("regex %q matches empty text; it must require at least one character", expr)
	}
	return ""
}
