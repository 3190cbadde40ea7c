package pipeline

import (
	"context"
	"fmt"
	"slices"

	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
)

// parentAlert is the alert an addendum or corrigendum threads under.
type parentAlert struct {
	alertID int64
	line    string // "Addendum 2 to C26/51"
}

// parentAlert finds the first alert of the document an addendum or a
// corrigendum belongs to. A listing stores a document under its number
// (watchers/itulisting_row.go), so the parent is the source's item whose
// id is the parent number. Nil when the item is no addendum or its parent
// never alerted: it then alerts on its own.
func (in *Ingester) parentAlert(ctx context.Context, it *model.Item) (*parentAlert, error) {
	number, line, ok := itudoc.Parent(it.Document)
	if !ok {
		return nil, nil
	}
	priors, err := in.opts.Store.PriorItems(ctx, it.SourceID, []string{number})
	if err != nil {
		return nil, fmt.Errorf("look up %s, the parent of %s/%s: %w", number, it.SourceID, it.ID, err)
	}
	p := priors[number]
	if p == nil || p.FirstAlertID == 0 {
		return nil, nil
	}
	return &parentAlert{alertID: p.FirstAlertID, line: line}, nil
}

// parentsFirst puts the addenda and corrigenda of a batch after the
// documents they belong to, so that a listing that shows an addendum above
// its parent still threads it under the parent's alert. Other items keep
// their order; the batch is copied only when something moves.
func parentsFirst(items []model.Item) []model.Item {
	ids := make(map[string]bool, len(items))
	for i := range items {
		ids[items[i].ID] = true
	}
	late := func(it *model.Item) bool {
		number, _, ok := itudoc.Parent(it.Document)
		return ok && ids[number]
	}
	if !slices.ContainsFunc(items, func(it model.Item) bool { return late(&it) }) {
		return items
	}
	out := make([]model.Item, 0, len(items))
	for i := range items {
		if !late(&items[i]) {
			out = append(out, items[i])
		}
	}
	for i := range items {
		if late(&items[i]) {
			out = append(out, items[i])
		}
	}
	return out
}
