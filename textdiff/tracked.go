package textdiff

import (
	"strings"

	"github.com/ituwatch/ituwatch/model"
)

// FromTracked turns a document's tracked changes (the runs its author
// marked inserted or deleted, one entry per paragraph) into a TextDiff:
// each inserted run's sentences added, each deleted run's removed. The
// author's own marks say what a revision changed more truly than a
// comparison of two texts, which cannot tell a moved paragraph from a
// rewritten one. Nil when nothing was marked. Bounded like Compare.
func FromTracked(tc *model.TrackedChanges) *model.TextDiff {
	if tc == nil {
		return nil
	}
	d := &model.TextDiff{Tracked: true}
	budget := MaxInputBytes
	add := func(kind model.DiffLineKind, runs []string) {
		for _, run := range runs {
			if budget <= 0 {
				d.Partial = true
				return
			}
			if len(run) > budget {
				run, _ = bound(run[:budget])
				d.Partial = true
			}
			budget -= len(run)
			for _, s := range sentences(run) {
				if model.ComparableText(s) == "" {
					continue
				}
				d.Lines = append(d.Lines, whole(kind, s))
				if kind == model.DiffAdded {
					d.Added++
				} else {
					d.Removed++
				}
			}
		}
	}
	add(model.DiffAdded, tc.Inserted)
	add(model.DiffRemoved, tc.Deleted)
	if len(d.Lines) > MaxLines {
		d.Omitted = len(d.Lines) - MaxLines
		d.Lines = d.Lines[:MaxLines:MaxLines]
	}
	if len(d.Lines) == 0 {
		return nil
	}
	return d
}

// SameTracked reports whether two versions carry the same tracked changes,
// in which case they say nothing about what the newer version changed.
func SameTracked(a, b *model.TrackedChanges) bool {
	if a == nil || b == nil {
		return a == b
	}
	return strings.Join(a.Inserted, "\x00") == strings.Join(b.Inserted, "\x00") &&
		strings.Join(a.Deleted, "\x00") == strings.Join(b.Deleted, "\x00") &&
		len(a.Inserted) == len(b.Inserted) && len(a.Deleted) == len(b.Deleted)
}
