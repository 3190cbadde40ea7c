package store

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

// Polls running at once on Postgres file items under the same stories in
// different orders: two transactions then lock the same alerts in opposite
// orders, and Postgres ends one with a deadlock error. The losing batch is
// written again whole, not reported as failed items (which fails the poll;
// the poll benchmark met it at once, BENCHMARKS.md §14). SQLite has one
// writer and no deadlocks; the test runs there too.
func TestSaveItemsConcurrentStoriesNoDeadlock(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		var alerts []int64
		for i := range 4 {
			it := item("origin", fmt.Sprint("story-", i), fmt.Sprint("Story ", i))
			alerts = append(alerts, mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "f", Alert: alertFor(it, "dns")}))
		}
		const workers, rounds = 6, 15
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					var batch []model.ItemSave
					for k := range alerts {
						a := alerts[k]
						if w%2 == 1 {
							a = alerts[len(alerts)-1-k]
						}
						it := item(fmt.Sprint("src-", w), fmt.Sprint(r, "-", k), "Another report")
						batch = append(batch, model.ItemSave{Item: it, Fingerprint: "f", JoinAlertID: a})
					}
					for i, err := range s.SaveItems(ctx, batch) {
						if err != nil {
							t.Errorf("worker %d round %d item %d: %v", w, r, i, err)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
	})
}
