package rules

import (
	"embed"
	"fmt"
	"os"
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
	proposers      []string // canonical names; none: every item
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
	fields uint8  // bit per field; 0 means all
	lang   string // ISO code of the terms' language; "" is English
}

// packLanguages are the ITU's six official languages, as a term node's lang.
var packLanguages = []string{"en", "fr", "es", "ru", "ar", "zh"}

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
