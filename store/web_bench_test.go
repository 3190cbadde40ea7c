package store

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkWebReads measures the web view's reads on the store
// BenchmarkRecentAndSearch fills (100,000 items, one in ten alerting; one
// in twenty here an ITU document), ITUWATCH_BENCH_ITEMS=1000000 at the
// size of the target (p99 ≤ 100 ms a page):
//
//	go test ./store -run '^$' -bench WebReads -benchtime 200x
func BenchmarkWebReads(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("ITUWATCH_BENCH_ITEMS")); err == nil && v > 0 {
		n = v
	}
	s, _ := openTest(b)
	start := time.Now()
	fillBench(b, s, n)
	ctx := context.Background()
	if _, err := s.w.ExecContext(ctx, `UPDATE items SET document = '{"number":"C26/' || id || '","series":"C","meeting":"26","seq":"' || id || '","languages":["E"],"proposers":["RCC"]}' WHERE id % 20 = 0`); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled %d items in %s", n, time.Since(start).Round(time.Millisecond))
	newest, err := s.NewestAlertID(ctx)
	if err != nil {
		b.Fatal(err)
	}
	weekAgo := t0.AddDate(0, 0, -7)
	monthsAgo := t0.AddDate(0, -6, 0)
	docs, err := s.NewestDocuments(ctx, 1)
	if err != nil || len(docs) == 0 {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		run  func() (int, error)
	}{
		{"newest-alert-id", func() (int, error) { _, err := s.NewestAlertID(ctx); return 1, err }},
		{"alert-topics/new-since-last-page", func() (int, error) {
			r, err := s.AlertTopics(ctx, newest-10, t0.AddDate(-1, 0, 0), 10000)
			return len(r), err
		}},
		{"alert-topics/first-page-of-year", func() (int, error) {
			r, err := s.AlertTopics(ctx, 0, t0.AddDate(-1, 0, 0), 10000)
			return len(r), err
		}},
		{"period/topic-last-week", func() (int, error) {
			a, err := s.PeriodAlerts(ctx, "new-ip", weekAgo, t0, 0, 50)
			return len(a), err
		}},
		{"period/topic-week-6-months-ago", func() (int, error) {
			a, err := s.PeriodAlerts(ctx, "surveillance", monthsAgo, monthsAgo.AddDate(0, 0, 7), 0, 50)
			return len(a), err
		}},
		{"period/all-recent", func() (int, error) {
			a, err := s.PeriodAlerts(ctx, "", time.Time{}, t0.AddDate(1, 0, 0), 0, 50)
			return len(a), err
		}},
		{"alert+updates", func() (int, error) {
			a, err := s.Alert(ctx, newest/2)
			if err != nil {
				return 0, err
			}
			u, err := s.AlertUpdates(ctx, a.ID, 50)
			return len(u) + 1, err
		}},
		{"documents/since-newest", func() (int, error) {
			d, err := s.DocumentsSince(ctx, docs[0].LastSeen, docs[0].RowID, 10000)
			return len(d), err
		}},
		{"documents/newest-10000", func() (int, error) { d, err := s.NewestDocuments(ctx, 10000); return len(d), err }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			got := 0
			for b.Loop() {
				t := time.Now()
				k, err := c.run()
				lat = append(lat, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
				got = k
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(got), "results")
		})
	}
}
