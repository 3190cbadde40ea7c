package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/digest"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// BenchmarkHistoryWeeklyDigest builds the weekly digest of the last seven
// days of the million-item store (one alert per ten items, an item a
// minute: about 1,000 alerts), as the closer does when the week ends:
// read the alerts owed, count the muted, group and page them. The alerts
// of the week are owed to the digest once, on first run. Run it as the
// other history benchmarks (BENCHMARKS.md §7), in a store file of its own:
//
//	ITUWATCH_BENCH_HISTORY=1 ITUWATCH_HISTORY_DB=/tmp/ituwatch-digest-1m.db go test ./cmd/ituwatch -run '^$' -bench HistoryWeeklyDigest -benchtime 50x
func BenchmarkHistoryWeeklyDigest(b *testing.B) {
	path, n := historyStore(b)
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const dest = "slack:#weekly-digest"
	var newest int64
	if err := st.DB().QueryRowContext(ctx, `SELECT max(created_at) FROM alerts WHERE kind = 'new'`).Scan(&newest); err != nil {
		b.Fatal(err)
	}
	end := time.Unix(0, newest).Add(time.Minute)
	if _, err := st.DB().ExecContext(ctx, `INSERT OR IGNORE INTO digest_entries (alert_id, destination, created_at)
		SELECT id, ?, created_at FROM alerts WHERE kind = 'new' AND created_at > ?`, dest, end.AddDate(0, 0, -7).UnixNano()); err != nil {
		b.Fatal(err)
	}
	closer := digest.NewCloser(digest.Options{Store: st, Plans: []model.DigestPlan{{Destination: dest, Schedule: "weekly", Timezone: "Europe/Zurich"}},
		Now: func() time.Time { return end }})
	b.Logf("store %s: %d items", path, n)
	lat := make([]time.Duration, 0, b.N)
	var pages []model.Alert
	for b.Loop() {
		t := time.Now()
		pages, err = closer.Preview(ctx, dest)
		lat = append(lat, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
	}
	if len(pages) == 0 {
		b.Fatal("the weekly digest is empty")
	}
	// Closing the week as the closer does: build, then store the pages
	// and their deliveries and mark the alerts taken, in one transaction.
	// Undone afterwards, so the next run finds the week open again.
	plan := model.DigestPlan{Destination: dest, Schedule: "weekly", Timezone: "Europe/Zurich"}
	t := time.Now()
	entries, err := st.OpenDigestEntries(ctx, dest, end)
	if err != nil {
		b.Fatal(err)
	}
	muted, err := st.MutedCount(ctx, dest, time.Time{}, end)
	if err != nil {
		b.Fatal(err)
	}
	closing, ids := digest.Build(plan, time.Time{}, end, entries, muted)
	if _, err := st.CloseDigest(ctx, dest, time.Time{}, end, closing, ids); err != nil || len(ids) != pages[0].Digest.Alerts {
		b.Fatalf("close the week: %d alerts taken, %v", len(ids), err)
	}
	closeTook := time.Since(t)
	for _, q := range []string{
		`UPDATE digest_entries SET digest_id = NULL WHERE destination = ?1`,
		`DELETE FROM digests WHERE destination = ?1`,
		`DELETE FROM deliveries WHERE destination = ?1`,
		`DELETE FROM alerts WHERE kind = 'digest'`,
	} {
		if _, err := st.DB().ExecContext(ctx, q, dest); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(ms(closeTook), "close-ms")
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(float64(pages[0].Digest.Alerts), "alerts")
	b.ReportMetric(float64(len(pages)), "pages")
}
