package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// ItemLister walks stored items.
type ItemLister interface {
	EachItem(ctx context.Context, since time.Time, fn func(model.Item) error) error
}

// ReplayStats counts what a replay saw.
type ReplayStats struct {
	Scanned int
	Matched int
}

// Replay runs the current rules over items stored since a time and reports
// every item that would alert (restricted to topic when it is not empty),
// without storing or sending anything: it shows what a new or changed rule
// would have caught.
func Replay(ctx context.Context, items ItemLister, m Matcher, since time.Time, topic string, fn func(model.Item, []model.Match) error) (ReplayStats, error) {
	var st ReplayStats
	err := items.EachItem(ctx, since, func(it model.Item) error {
		st.Scanned++
		matches := m.Match(&it)
		if topic != "" {
			kept := matches[:0]
			for _, mt := range matches {
				if mt.Topic == topic {
					kept = append(kept, mt)
				}
			}
			matches = kept
		}
		if len(matches) == 0 {
			return nil
		}
		st.Matched++
		return fn(it, matches)
	})
	if err != nil {
		return st, fmt.Errorf("replay items since %s: %w", since.Format(time.DateOnly), err)
	}
	return st, nil
}
