package watchers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/internal/perf/corpus"
	"github.com/ituwatch/ituwatch/pipeline"
	"github.com/ituwatch/ituwatch/rules"
	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/watchers"
)

// The large-feed benchmark's shape: feeds of 100,000 items of ~60 bytes
// (6 MB each), one per loopback address so that all are fetched at once.
const (
	largeFeeds = 64
	largeItems = 100_000
)

// TestPerfLargeFeedServer is not a test: BenchmarkLargeFeeds runs the test
// binary again with ITUWATCH_PERF_LARGESERVER=1 to serve the feeds.
func TestPerfLargeFeedServer(t *testing.T) {
	if os.Getenv("ITUWATCH_PERF_LARGESERVER") == "" {
		t.Skip("only run by BenchmarkLargeFeeds")
	}
	fs := corpus.NewTinyFeedServer(largeFeeds, largeItems)
	var addrs []string
	for h := range largeFeeds {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", 2+h))
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: fs, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		addrs = append(addrs, ln.Addr().String())
	}
	fmt.Printf("FEEDS %d %s\n", fs.Bytes(), strings.Join(addrs, ","))
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// TestPerfLargePoll is not a test either: BenchmarkLargeFeeds runs it in a
// process of its own for each number of sources, so that its peak RSS
// (VmHWM, which only ever grows) is that poll's alone. It polls the first
// ITUWATCH_PERF_LARGEPOLL feeds of ITUWATCH_PERF_LARGEADDRS at once through
// the real scheduler, fetcher, parser, ingester and store, and prints what
// it measured.
func TestPerfLargePoll(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ITUWATCH_PERF_LARGEPOLL"))
	if n == 0 {
		t.Skip("only run by BenchmarkLargeFeeds")
	}
	addrs := strings.Split(os.Getenv("ITUWATCH_PERF_LARGEADDRS"), ",")
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir()+"/perf.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pack, err := rules.LoadPack("builtin:itu")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := rules.Compile(pack)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	in := pipeline.NewIngester(pipeline.Options{Store: st, Matcher: eng, Routes: consoleRoutes{}, MaxAge: 30 * 24 * time.Hour, Logger: log})
	f := daemonFetcher()
	s := watchers.NewScheduler(watchers.SchedulerOptions{States: st, Sink: in.Ingest, PollAllConcurrency: n, Logger: log})
	for i := range n {
		src := watchers.NewFeedSource(fmt.Sprint("large-", i), fmt.Sprintf("http://%s/feed/%d.rss", addrs[i], i), f)
		if err := s.Add(src, "@every 15m"); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	base := vmHWM()
	w0, c0 := time.Now(), cpuTime()
	items := 0
	for _, r := range s.PollAll(ctx) {
		if r.Err != nil {
			t.Fatalf("poll %s: %v", r.SourceID, r.Err)
		}
		items += r.Items
	}
	fmt.Printf("LARGEPOLL items=%d wall=%.3f cpu=%.3f base=%d peak=%d\n", items, time.Since(w0).Seconds(), (cpuTime() - c0).Seconds(), base, vmHWM())
}

// BenchmarkLargeFeeds polls 1, 16, 32 and 64 feeds of 100,000 tiny items
// (6 MB) at once, each count in a fresh process, and reports that
// process's peak resident memory (VmHWM) and the poll's wall and CPU time:
//
//	go test ./watchers -run '^$' -bench LargeFeeds -benchtime 1x
func BenchmarkLargeFeeds(b *testing.B) {
	addrs, size := startLargeFeedServer(b)
	for _, n := range []int{1, 16, 32, 64} {
		b.Run(fmt.Sprintf("sources=%d", n), func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestPerfLargePoll$", "-test.bench=^$", "-test.v")
				cmd.Env = append(os.Environ(), fmt.Sprint("ITUWATCH_PERF_LARGEPOLL=", n), "ITUWATCH_PERF_LARGEADDRS="+strings.Join(addrs, ","))
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("poller: %v\n%s", err, out)
				}
				var items int
				var wall, cpu float64
				var base, peak int64
				i := strings.Index(string(out), "LARGEPOLL ")
				if i < 0 {
					b.Fatalf("poller said nothing:\n%s", out)
				}
				if _, err := fmt.Sscanf(string(out[i:]), "LARGEPOLL items=%d wall=%g cpu=%g base=%d peak=%d", &items, &wall, &cpu, &base, &peak); err != nil {
					b.Fatalf("poller output: %v\n%s", err, out)
				}
				if items != n*1000 {
					b.Fatalf("%d items from %d feeds, want %d", items, n, n*1000)
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-rss-MiB")
				b.ReportMetric(float64(base)/(1<<20), "start-rss-MiB")
				b.ReportMetric(wall, "poll-s")
				b.ReportMetric(cpu, "poll-cpu-s")
				b.ReportMetric(float64(n)*float64(size)/largeFeeds/(1<<20), "feeds-MiB")
			}
		})
	}
}

// startLargeFeedServer runs TestPerfLargeFeedServer in a child process and
// returns its addresses and the total size of its feeds.
func startLargeFeedServer(b *testing.B) (addrs []string, bytes int) {
	n, list, _ := strings.Cut(startFeedChild(b, "TestPerfLargeFeedServer", "ITUWATCH_PERF_LARGESERVER"), " ")
	bytes, _ = strconv.Atoi(n)
	return strings.Split(list, ","), bytes
}
