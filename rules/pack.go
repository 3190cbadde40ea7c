// Package rules decides which topics an item is about. A rule pack (YAML)
// names topics, each a tree of terms; Compile turns all packs into one
// Engine whose Match reads an item's text once, whatever the number of
// phrases, and explains every match with the words that made it.
package rules

import (
	"embed"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/ituwatch/ituwatch/internal/didyoumean"
	"github.com/ituwatch/ituwatch/internal/problems"
	"github.com/ituwatch/ituwatch/model"
)

//go:embed packs/*.yaml
var builtinPacks embed.FS

// Pack is a parsed and validated rule pack, not yet compiled.
type Pack struct {
	Name   string
	Source string // file name used in error messages

	sets   []setSpec
	topics []topicSpec
}

type setSpec struct {
	name  string
	terms []string
	line  int
}

type topicSpec struct {
	id             string
	name           string
	severity       model.Severity
	annotation     string
	minScore       float64
	sources        []string
	excludeSources []string
	match          *nodeSpec
	line           int
	source         string // pack file, for errors found at compile time
}

type nodeKind int

const (
	nodeTerms nodeKind = iota + 1 // phrase or phrases
	nodeSet
	nodeRegex
	nodeNear
	nodeGroup // any / all / none
)

type nodeSpec struct {
	line   int
	kind   nodeKind
	terms  []string // phrase, phrases
	set    string
	regex  string
	near   []nearGroup
	within int
	any    []*nodeSpec
	all    []*nodeSpec
	none   []*nodeSpec
	weight float64
	fields uint8 // bit per field; 0 means all
}

// nearGroup is one element of a near list: phrases, or the terms of a set.
type nearGroup struct {
	terms []string
	set   string
}

const (
	fieldTitle = iota
	fieldSummary
	fieldContent
	numFields
)

var fieldNames = [numFields]string{"title", "summary", "content"}

const allFields = 1<<numFields - 1

const (
	defaultWithin = 10
	maxWithin     = 1000
	maxDepth      = 50
	maxNearTerms  = 16
)

var (
	topicIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	setNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	yamlLinePrefix = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// packProblems collects every mistake in a pack so that a user fixes them
// all in one go instead of one per run.
type packProblems struct {
	source string
	list   problems.List
}

// add records a problem at line (0 for the whole pack); where, if not
// empty, says which part of the pack, e.g. "topic new-ip".
func (p *packProblems) add(line int, where, format string, args ...any) {
	p.list.Addf(p.source, line, where, format, args...)
}

func (p *packProblems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	p.list.Sort()
	return packError{p.list}
}

// packError is a pack's problems, one "FILE:LINE: where: what to fix" a
// line. It is not a bare problems.List, which is what the config's
// problems are (config.Problems), so that a caller looking for those does
// not take a pack's for them: the command says which pack it was loading.
type packError struct{ problems.List }

// LoadPack reads "builtin:NAME" from the packs embedded in the binary, or
// any other ref as a file path.
func LoadPack(ref string) (*Pack, error) {
	if name, ok := strings.CutPrefix(ref, "builtin:"); ok {
		data, err := builtinPacks.ReadFile("packs/" + name + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("no built-in rule pack %q (available: %s)", ref, strings.Join(builtinNames(), ", "))
		}
		return ParsePack(name+".yaml", data)
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return nil, fmt.Errorf("read rule pack: %w", err)
	}
	return ParsePack(ref, data)
}

func builtinNames() []string {
	entries, _ := builtinPacks.ReadDir("packs")
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			out = append(out, "builtin:"+name)
		}
	}
	return out
}

// builtinSets maps the set names of the built-in packs to the pack that
// defines them, so that a user's pack may use them without redefining them;
// Compile then checks that the defining pack is loaded too.
var builtinSets = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	entries, _ := builtinPacks.ReadDir("packs")
	for _, e := range entries {
		data, err := builtinPacks.ReadFile("packs/" + e.Name())
		if err != nil {
			continue
		}
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value != "sets" || root.Content[i+1].Kind != yaml.MappingNode {
				continue
			}
			sets := root.Content[i+1].Content
			for j := 0; j < len(sets); j += 2 {
				out[sets[j].Value] = "builtin:" + strings.TrimSuffix(e.Name(), ".yaml")
			}
		}
	}
	return out
})

// ParsePack parses and validates a pack, reporting every problem at once,
// each as "FILE:LINE: where: what to fix".
func ParsePack(source string, data []byte) (*Pack, error) {
	p := &packProblems{source: source}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLinePrefix.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			p.add(line, "", "not valid YAML: %s", m[2])
		} else {
			p.add(0, "", "not valid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
		}
		return nil, p.err()
	}
	if len(doc.Content) == 0 {
		p.add(0, "", "the file is empty; a pack needs pack:, and topics:")
		return nil, p.err()
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.add(root.Line, "", "a pack is a mapping with the keys pack:, sets: and topics:")
		return nil, p.err()
	}
	pk := &Pack{Source: source}
	keys := mappingKeys(p, root, "", []string{"pack", "sets", "topics"})
	if n, ok := keys["pack"]; ok {
		pk.Name = scalarString(p, n, "", "pack")
	} else {
		p.add(root.Line, "", "pack: is missing; name the pack, e.g. pack: my-rules")
	}
	setNames := map[string]int{}
	if n, ok := keys["sets"]; ok {
		pk.sets = parseSets(p, n, setNames)
	}
	if n, ok := keys["topics"]; ok {
		pk.topics = parseTopics(p, n, source, setNames)
	} else {
		p.add(root.Line, "", "topics: is missing; a pack needs at least one topic")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return pk, nil
}

// mappingKeys checks that n is a mapping whose keys are all allowed and
// unique, and returns the value node of each key.
func mappingKeys(p *packProblems, n *yaml.Node, where string, allowed []string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.AliasNode || k.Kind == yaml.AliasNode {
			p.add(v.Line, where, "anchors and aliases (& and *) are not supported in rule packs; write the terms out, or use a set (quote terms that start with *)")
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			p.add(k.Line, where, "unknown key %q%s", k.Value, suggest(k.Value, allowed))
			continue
		}
		if _, dup := out[k.Value]; dup {
			p.add(k.Line, where, "key %q appears twice", k.Value)
			continue
		}
		out[k.Value] = v
	}
	return out
}

// suggest names the allowed key closest to a mistyped one, or lists them all.
func suggest(got string, allowed []string) string {
	if best := didyoumean.Closest(got, allowed); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (allowed: " + strings.Join(allowed, ", ") + ")"
}

func scalarString(p *packProblems, n *yaml.Node, where, key string) string {
	if n.Kind != yaml.ScalarNode {
		p.add(n.Line, where, "%s must be a single text value", key)
		return ""
	}
	if n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
		p.add(n.Line, where, "%s is empty", key)
		return ""
	}
	return n.Value
}

// stringList accepts a list of text values or a single one.
func stringList(p *packProblems, n *yaml.Node, where, key string) []string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, where, "%s must be a list of text values, e.g. [\"a\", \"b\"]", key)
		return nil
	}
	if len(n.Content) == 0 {
		p.add(n.Line, where, "%s is an empty list", key)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode || c.Tag == "!!null" || strings.TrimSpace(c.Value) == "" {
			p.add(c.Line, where, "%s: every entry must be a non-empty text value", key)
			continue
		}
		out = append(out, c.Value)
	}
	return out
}

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

var topicKeys = []string{"id", "name", "severity", "annotation", "min_score", "sources", "exclude_sources", "match"}

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

var nodeKeys = []string{"phrase", "phrases", "set", "regex", "near", "within", "any", "all", "none", "weight", "fields"}

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
		for _, k := range []string{"weight", "fields", "within"} {
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
