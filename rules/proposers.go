package rules

import (
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
)

// A topic's proposers: the topic holds only for documents one of them
// proposed. Names are read with itudoc, so "Russia" in a pack is the
// "Russian Federation" of a listing.

// parseProposers reads a topic's proposers: list into canonical names,
// reporting a near miss of a known name with what was meant.
func parseProposers(p *packProblems, v *yaml.Node, where string) []string {
	names := stringList(p, v, where, "proposers")
	var out []string
	for i, n := range names {
		line := v.Line
		if v.Kind == yaml.SequenceNode && i < len(v.Content) {
			line = v.Content[i].Line
		}
		c, err := itudoc.CheckProposer(n)
		if err != nil {
			p.add(line, where, "proposers: %v", err)
			continue
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// proposerAllowed says whether an item was proposed by one of a topic's
// proposers; a topic without proposers allows every item.
func proposerAllowed(t *ctopic, it *model.Item) bool {
	if len(t.proposers) == 0 {
		return true
	}
	return itudoc.ProposedByAny(it.Document, t.proposers)
}
