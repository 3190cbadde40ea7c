package store

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/internal/perf/corpus"
	"github.com/ituwatch/ituwatch/model"
)

// BenchmarkSaveBurst is the store's share of the first poll cycle of
// watchers.BenchmarkPollCycle, without fetching, parsing or matching: 2,000
// sources each save a batch of 20 new items of about 1 KB (one alert in
// 50) and their poll state, 128 at a time, as the scheduler's pollers do.
// It isolates the single writer, the cycle's bottleneck:
//
//	go test ./store -run '^$' -bench SaveBurst -benchtime 3x
//
// saved-s is when the last batch was committed; indexed-s when search
// finds every item; cpu-s is the process's CPU time until then.
func BenchmarkSaveBurst(b *testing.B) {
	const (
		sources     = 2000
		perSource   = 20
		concurrency = 128
	)
	batches := make([][]model.ItemSave, sources)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range batches {
		for j, fi := range corpus.Feed(i, perSource, 1000, 0, base) {
			it := model.Item{SourceID: fmt.Sprint("feed-", i), ID: fi.GUID, Title: fi.Title, Link: fi.Link, Summary: fi.Description, Published: fi.Published}
			sv := model.ItemSave{Item: it, Fingerprint: fmt.Sprintf("%032x", i*perSource+j)}
			if j == 0 && i%50 == 0 {
				sv.Alert = alertFor(it, "new-ip")
				sv.Destinations = []string{"console"}
			}
			batches[i] = append(batches[i], sv)
		}
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s, _ := openTest(b)
		b.StartTimer()
		w0, c0 := time.Now(), burstCPU()
		work := make(chan int)
		var wg sync.WaitGroup
		for range concurrency {
			wg.Go(func() {
				for i := range work {
					for _, err := range s.SaveItems(ctx, batches[i]) {
						if err != nil {
							b.Error(err)
						}
					}
					if err := s.SaveSourceState(ctx, model.SourceState{SourceID: fmt.Sprint("feed-", i), ItemsSeen: perSource}); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for i := range sources {
			work <- i
		}
		close(work)
		wg.Wait()
		saved := time.Since(w0)
		s.AwaitSearchIndex(ctx)
		indexed, cpu := time.Since(w0), burstCPU()-c0
		b.StopTimer()
		b.ReportMetric(saved.Seconds(), "saved-s")
		b.ReportMetric(indexed.Seconds(), "indexed-s")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		hits, err := s.Search(ctx, fmt.Sprintf("%q", batches[sources-1][perSource-1].Item.Title), 1)
		if err != nil || len(hits) == 0 {
			b.Fatalf("the last item saved is not found by search: %v", err)
		}
		s.Close()
		b.StartTimer()
	}
}

func burstCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
