package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// TopicRules is a topic of a pack with its rules written out for people
// (the web view's rules page), one line per rule, nested by Depth.
type TopicRules struct {
	Topic
	Pack           string
	Sources        []string // only items of these sources; none: every source
	ExcludeSources []string
	Proposers      []string // only documents of these proposers; none: every item
	Lines          []RuleLine
}

// RuleLine is one rule of a topic in words.
type RuleLine struct {
	Depth int
	Text  string
}

// maxShownTerms bounds the phrases of a set a line quotes.
const maxShownTerms = 12

// Describe writes out each topic's rules, in the pack's order.
func (p *Pack) Describe() []TopicRules {
	sets := map[string][]string{}
	for _, s := range p.sets {
		sets[s.name] = s.terms
	}
	out := make([]TopicRules, 0, len(p.topics))
	for _, t := range p.topics {
		tr := TopicRules{
			Topic:          Topic{ID: t.id, Name: t.name, Severity: t.severity, Annotation: t.annotation, MinScore: t.minScore},
			Pack:           p.Name,
			Sources:        t.sources,
			ExcludeSources: t.excludeSources,
			Proposers:      t.proposers,
		}
		if t.match != nil {
			describeNode(t.match, 0, sets, &tr.Lines)
		}
		out = append(out, tr)
	}
	return out
}

func describeNode(n *nodeSpec, depth int, sets map[string][]string, out *[]RuleLine) {
	add := func(s string) { *out = append(*out, RuleLine{Depth: depth, Text: s + nodeQualifiers(n)}) }
	switch n.kind {
	case nodeTerms:
		if len(n.terms) == 1 {
			add("the phrase " + quoteTerms(n.terms, maxShownTerms))
		} else {
			add("any of the phrases " + quoteTerms(n.terms, maxShownTerms))
		}
	case nodeSet:
		add(fmt.Sprintf("any phrase of the set %s: %s", n.set, quoteTerms(sets[n.set], maxShownTerms)))
	case nodeRegex:
		add("text matching the pattern /" + n.regex + "/")
	case nodeNear:
		var groups []string
		for _, g := range n.near {
			if g.set != "" {
				groups = append(groups, "a phrase of the set "+g.set)
			} else {
				groups = append(groups, quoteTerms(g.terms, maxShownTerms))
			}
		}
		add(strings.Join(groups, " and ") + " within " + strconv.Itoa(n.within) + " words of each other")
	default:
		for _, g := range []struct {
			head string
			list []*nodeSpec
		}{{"all of", n.all}, {"any of", n.any}, {"none of", n.none}} {
			if len(g.list) == 0 {
				continue
			}
			*out = append(*out, RuleLine{Depth: depth, Text: g.head + ":"})
			for _, c := range g.list {
				describeNode(c, depth+1, sets, out)
			}
		}
	}
}

// nodeQualifiers says where a rule looks, in which language, and its weight.
func nodeQualifiers(n *nodeSpec) string {
	var q []string
	if n.fields != 0 && n.fields != allFields {
		var f []string
		for i, name := range fieldNames {
			if n.fields&(1<<i) != 0 {
				f = append(f, name)
			}
		}
		q = append(q, "in the "+strings.Join(f, " or "))
	}
	if n.lang != "" {
		q = append(q, "in "+n.lang)
	}
	if n.weight != 1 && n.weight != 0 {
		q = append(q, "weight "+strconv.FormatFloat(n.weight, 'g', -1, 64))
	}
	if len(q) == 0 {
		return ""
	}
	return " (" + strings.Join(q, ", ") + ")"
}

// quoteTerms writes “a”, “b” … with at most max terms, then "+N more".
func quoteTerms(terms []string, max int) string {
	var q []string
	for i, t := range terms {
		if i == max {
			q = append(q, fmt.Sprintf("+%d more", len(terms)-max))
			break
		}
		q = append(q, "“"+t+"”")
	}
	return strings.Join(q, ", ")
}
