package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// BenchmarkRecentAndSearch measures the chat-command queries on a filled
// store. It fills 100,000 items (one in ten alerting) before measuring;
// ITUWATCH_BENCH_ITEMS=1000000 measures at the size the performance target
// names. Run it with:
//
//	go test ./store -run '^$' -bench RecentAndSearch -benchtime 2000x
//
// Each sub-benchmark reports its p99 latency as p99-ms.
func BenchmarkRecentAndSearch(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("ITUWATCH_BENCH_ITEMS")); err == nil && v > 0 {
		n = v
	}
	s, _ := openTest(b)
	start := time.Now()
	fillBench(b, s, n)
	b.Logf("filled %d items in %s", n, time.Since(start).Round(time.Millisecond))
	ctx := context.Background()

	cases := []struct {
		name string
		run  func() (int, error)
	}{
		{"recent/all", func() (int, error) { a, err := s.RecentAlerts(ctx, "", 10); return len(a), err }},
		{"recent/common-topic", func() (int, error) { a, err := s.RecentAlerts(ctx, "new-ip", 10); return len(a), err }},
		{"recent/rare-topic", func() (int, error) { a, err := s.RecentAlerts(ctx, "surveillance", 10); return len(a), err }},
		{"recent/unknown-topic", func() (int, error) { a, err := s.RecentAlerts(ctx, "no-such-topic", 10); return len(a), err }},
		{"search/rare-word", func() (int, error) { h, err := s.Search(ctx, "sovereignty", 10); return len(h), err }},
		{"search/common-word", func() (int, error) { h, err := s.Search(ctx, "itu", 10); return len(h), err }},
		{"search/two-words", func() (int, error) { h, err := s.Search(ctx, "council resolution", 10); return len(h), err }},
		{"search/phrase", func() (int, error) { h, err := s.Search(ctx, `"new ip"`, 10); return len(h), err }},
		{"search/no-match", func() (int, error) { h, err := s.Search(ctx, "zzzzunseen", 10); return len(h), err }},
		{"topic-counts/30d", func() (int, error) { c, err := s.TopicCounts(ctx, t0.AddDate(0, 0, -30)); return len(c), err }},
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
			p99 := lat[min(len(lat)-1, len(lat)*99/100)]
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(got), "results")
		})
	}
}

var benchTopics = []string{"new-ip", "mandate-creep", "ott", "ipv6-addressing", "dns-naming", "cybersecurity", "surveillance"}

// fillBench writes n synthetic items in large transactions: a word pool with
// a skewed frequency (so some words are in most items and most words in
// few), a few domain words at known rates, and one alert per ten items.
func fillBench(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(r, 1.1, 1, 50_000)
	word := func() string { return "w" + strconv.FormatUint(zipf.Uint64(), 36) }
	text := func(words int) string {
		var sb strings.Builder
		for i := range words {
			if i > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(word())
		}
		return sb.String()
	}
	const batch = 5000
	for done := 0; done < n; done += batch {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		for i := done; i < min(done+batch, n); i++ {
			when := t0.Add(-time.Duration(n-i) * time.Minute)
			it := model.Item{
				SourceID: fmt.Sprint("src", i%40), ID: fmt.Sprint("item-", i),
				Title: text(8), Summary: text(25), Content: text(80), Link: fmt.Sprint("https://example.org/", i),
				Published: when,
			}
			if r.IntN(3) == 0 {
				it.Title += " ITU"
			}
			if r.IntN(20) == 0 {
				it.Summary += " Council resolution"
			}
			if r.IntN(50) == 0 {
				it.Content += " New IP"
			}
			if r.IntN(1000) == 0 {
				it.Content += " sovereignty"
			}
			rowID, err := upsertItem(ctx, tx, &it, it.Fingerprint(), 0, when)
			if err != nil {
				b.Fatal(err)
			}
			if i%10 != 0 {
				continue
			}
			tp := []string{benchTopics[r.IntN(len(benchTopics)-1)]}
			if r.IntN(50) == 0 {
				tp = append(tp, "surveillance")
			}
			a := alertFor(it, tp...)
			id, err := insertAlert(ctx, tx, rowID, a, it, when)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (alert_id, destination, status, attempts, created_at, delivered_at, external_id)
				VALUES (?, 'slack:C1', 'delivered', 1, ?, ?, 'ts')`, id, when.UnixNano(), when.UnixNano()); err != nil {
				b.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE items SET first_alert_id = ?1, last_alert_id = ?1 WHERE id = ?2`, id, rowID); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.w.ExecContext(ctx, `PRAGMA optimize`); err != nil {
		b.Fatal(err)
	}
}
