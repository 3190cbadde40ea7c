package pipeline

import (
	"cmp"
	"slices"

	"github.com/ituwatch/ituwatch/model"
)

// heldBack is what the limit kept from one destination in one poll.
type heldBack struct {
	count       int
	topics      map[string]int
	item        model.Item // the first item held, which the summary is filed under
	fingerprint string
}

// capAlerts applies the per-poll limit to the alerts about to be saved:
// each destination keeps at most limit alerts of the poll, the most
// important first (highest severity, then highest score, then the newest
// item, then feed order), and the others lose that destination. Updates
// count like new alerts: a feed that revises a thousand items floods as
// much as one that adds them. A poll is normally saved in one flush, so
// the ranking is over the whole poll; when a poll is saved in several
// (an id repeated in the batch, or a story another poll is saving), each
// flush ranks its own alerts within what the earlier ones left.
func (b *batch) capAlerts() {
	if b.limit <= 0 {
		return
	}
	var idx []int
	for i := b.capped; i < len(b.saves); i++ {
		if sv := &b.saves[i]; sv.Alert != nil && sv.Alert.Kind != model.AlertSummary && len(sv.Destinations) > 0 {
			idx = append(idx, i)
		}
	}
	b.capped = len(b.saves)
	slices.SortStableFunc(idx, func(i, j int) int { return compareImportance(b.saves[i].Alert, b.saves[j].Alert) })
	if b.sent == nil {
		b.sent = map[string]int{}
	}
	if b.held == nil {
		b.held = map[string]*heldBack{}
	}
	for _, i := range idx {
		sv := &b.saves[i]
		kept := sv.Destinations[:0:0]
		for _, d := range sv.Destinations {
			if b.sent[d] < b.limit {
				b.sent[d]++
				kept = append(kept, d)
				continue
			}
			h := b.held[d]
			if h == nil {
				h = &heldBack{topics: map[string]int{}, item: sv.Item, fingerprint: sv.Fingerprint}
				b.held[d] = h
			}
			h.count++
			for _, t := range sv.Alert.Topics() {
				h.topics[t]++
			}
			sv.Alert.HeldFrom = append(sv.Alert.HeldFrom, d)
		}
		sv.Destinations = kept
	}
}

// compareImportance orders alerts most important first.
func compareImportance(a, b *model.Alert) int {
	if c := cmp.Compare(b.MaxSeverity(), a.MaxSeverity()); c != 0 {
		return c
	}
	if c := cmp.Compare(maxScore(b), maxScore(a)); c != 0 {
		return c
	}
	return b.Item.When().Compare(a.Item.When())
}

func maxScore(a *model.Alert) float64 {
	s := 0.0
	for _, m := range a.Matches {
		s = max(s, m.Score)
	}
	return s
}

// maxSummaryTopics bounds the topics a summary names.
const maxSummaryTopics = 5

// addSummaries queues, with the poll's last flush, one summary for each
// destination the limit held alerts from, so that the summary is saved
// (and later sent) exactly once, in the transaction of the poll's last
// alerts. The summary is filed under the first item held from that
// destination.
func (b *batch) addSummaries(sourceID string) {
	b.capAlerts() // the last flush's alerts count too
	dests := make([]string, 0, len(b.held))
	for d := range b.held {
		dests = append(dests, d)
	}
	slices.Sort(dests) // console first: it is the one `once` prints
	for _, d := range dests {
		h := b.held[d]
		topics := make([]string, 0, len(h.topics))
		for t := range h.topics {
			topics = append(topics, t)
		}
		slices.SortFunc(topics, func(x, y string) int {
			return cmp.Or(cmp.Compare(h.topics[y], h.topics[x]), cmp.Compare(x, y))
		})
		if len(topics) > maxSummaryTopics {
			topics = topics[:maxSummaryTopics]
		}
		b.add(model.ItemSave{
			Item:        h.item,
			Fingerprint: h.fingerprint,
			Alert: &model.Alert{
				Kind: model.AlertSummary,
				Item: model.Item{SourceID: sourceID},
				Held: &model.HeldAlerts{Source: sourceID, Destination: d, Count: h.count, Limit: b.limit, Topics: topics},
			},
			Destinations: []string{d},
		}, nil)
	}
	b.held = nil
}
