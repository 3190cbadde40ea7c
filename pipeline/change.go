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

// ChangeDiff is what an update's readers are shown changed. A document's
// tracked changes are its proposer's own diff and are preferred when the
// new version brings them; texts in two languages (a new language
// version read in place of the old one) are not compared, since every
// sentence would differ: the change line names the language instead. A
// revision's diff carries the revision's name for its heading.
func ChangeDiff(prev, cur *model.Item) *model.TextDiff {
	var d *model.TextDiff
	var prevTracked *model.TrackedChanges
	if prev.Document != nil {
		prevTracked = prev.Document.Tracked
	}
	if cur.Document != nil && !textdiff.SameTracked(prevTracked, cur.Document.Tracked) {
		d = textdiff.FromTracked(cur.Document.Tracked)
	}
	if d == nil {
		was, is := itudoc.TextLanguage(prev.Document), itudoc.TextLanguage(cur.Document)
		if was != "" && is != "" && was != is {
			return nil
		}
		d = DiffText(prev, cur)
	}
	if d != nil && cur.Document != nil && cur.Document.Revision != "" &&
		(prev.Document == nil || prev.Document.Revision != cur.Document.Revision) {
		d.Version = cur.Document.Revision
	}
	return d
}

// joinChange puts two change lines together, either may be empty.
func joinChange(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
