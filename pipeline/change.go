package pipeline

import (
	"strings"

	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/textdiff"
)

// DescribeChange says in a few words how an item differs from its prior
// version, for the "update of #N" line of an alert.
func DescribeChange(prev, cur *model.Item) string {
	parts := itudoc.Changes(prev.Document, cur.Document)
	if cur.Title != prev.Title && len(parts) == 0 {
		parts = append(parts, "title changed")
	}
	if cur.Summary != prev.Summary || cur.Content != prev.Content {
		if len(parts) == 0 {
			parts = append(parts, "text changed")
		}
	}
	if len(parts) == 0 {
		return "updated"
	}
	return strings.Join(parts, "; ")
}

// DiffText compares the words of two versions of an item: its title, its
// summary and its content, the summary left out when the content holds it
// (a summary is most often the start of the content, and would show each
// change twice). Nil when the words are the same.
func DiffText(prev, cur *model.Item) *model.TextDiff {
	return textdiff.Compare(diffable(prev), diffable(cur))
}

func diffable(it *model.Item) string {
	parts := []string{it.Title}
	summary, content := model.ComparableText(it.Summary), model.ComparableText(it.Content)
	if summary != "" && !strings.Contains(content, strings.TrimRight(strings.TrimSuffix(summary, "…"), ". ")) {
		parts = append(parts, it.Summary)
	}
	return strings.Join(append(parts, it.Content), "\n")
}
