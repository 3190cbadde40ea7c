package watchers_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/config"
	"github.com/ituwatch/ituwatch/internal/perf/corpus"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/pipeline"
	"github.com/ituwatch/ituwatch/rules"
	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/watchers"
)

// The polling benchmark's shape: the 2,000 feeds of 20 items of
// about 1 KB, each answer 100 ms late.
const (
	perfFeeds     = 2000
	perfItems     = 20
	perfItemBytes = 1000
	perfLatency   = 100 * time.Millisecond
	// perfHosts loopback addresses (127.0.0.2 ...) share the feeds, so the
	// fetcher's per-host limit (the default 2) applies as it would to 2,000
	// feeds on many sites: 31 feeds per host.
	perfHosts = 64
	// perfConcurrency is the scheduler's PollAll bound for the benchmark:
	// two polls per host.
	perfConcurrency = 2 * perfHosts
)

// TestPerfFeedServer is not a test: BenchmarkPollCycle runs the test binary
// again with ITUWATCH_PERF_FEEDSERVER=1 to serve the feeds from another
// process, so the benchmark's CPU time and memory are ituwatch's alone.
func TestPerfFeedServer(t *testing.T) {
	if os.Getenv("ITUWATCH_PERF_FEEDSERVER") == "" {
		t.Skip("only run by BenchmarkPollCycle")
	}
	fs := corpus.NewFeedServer(perfFeeds, perfItems, perfItemBytes, time.Now())
	fs.Latency = perfLatency
	var addrs []string
	for h := range perfHosts {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", 2+h))
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: fs, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		addrs = append(addrs, ln.Addr().String())
	}
	fmt.Printf("FEEDS %d %s\n", fs.Bytes(), strings.Join(addrs, ","))
	// Serve until the benchmark closes stdin or kills this process.
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startFeedServer runs TestPerfFeedServer in a child process and returns
// its addresses and the total size of the feeds.
func startFeedServer(b *testing.B) (addrs []string, bytes int) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestPerfFeedServer$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "ITUWATCH_PERF_FEEDSERVER=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "FEEDS "); ok {
			n, list, _ := strings.Cut(rest, " ")
			bytes, _ = strconv.Atoi(n)
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return strings.Split(list, ","), bytes
		}
	}
	b.Fatalf("feed server did not start: %v", sc.Err())
	return nil, 0
}

type consoleRoutes struct{}

func (consoleRoutes) DestinationsFor(string, model.Severity) []model.Destination {
	return []model.Destination{{Platform: "console"}}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// settle waits two seconds, longer than the store's background work
// (the WAL checkpoint, once a second) takes to finish what a cycle left,
// and returns the CPU the process used meanwhile.
func settle() time.Duration {
	start := cpuTime()
	time.Sleep(2 * time.Second)
	return cpuTime() - start
}

func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
	}
	return -1
}

// BenchmarkPollCycle polls 2,000 feeds through the real Scheduler.PollAll,
// Fetcher, feed parser, Ingester, builtin rules and a SQLite store: a first
// cycle that finds every item new, then a second where nothing changed
// (304s for the feeds with ETags, identical bodies for the others). Run it
// alone, in its own process, so that VmHWM is this cycle's peak:
//
//	go test ./watchers -run '^$' -bench PollCycle -benchtime 1x
//
// It reports the wall and CPU time of each cycle, the second's CPU as a
// percentage of the first's, and the process's peak resident memory.
func BenchmarkPollCycle(b *testing.B) {
	addrs, size := startFeedServer(b)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(ctx, b.TempDir()+"/perf.db")
		if err != nil {
			b.Fatal(err)
		}
		if v := os.Getenv("ITUWATCH_PERF_FTS_HASHSIZE"); v != "" {
			// Experiment: a larger FTS5 pending-terms buffer, fewer flushes.
			if _, err := st.DB().ExecContext(ctx, `INSERT INTO items_fts (items_fts, rank) VALUES ('hashsize', ?)`, v); err != nil {
				b.Fatal(err)
			}
		}
		pack, err := rules.LoadPack("builtin:itu")
		if err != nil {
			b.Fatal(err)
		}
		eng, err := rules.Compile(pack)
		if err != nil {
			b.Fatal(err)
		}
		// Logging as the daemon does at info level, to a discarded output.
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		in := pipeline.NewIngester(pipeline.Options{Store: st, Matcher: eng, Routes: consoleRoutes{}, MaxAge: 30 * 24 * time.Hour, Logger: log})
		f := daemonFetcher()
		s := watchers.NewScheduler(watchers.SchedulerOptions{States: st, Sink: in.Ingest, PollAllConcurrency: perfConcurrency, Logger: log})
		for i := range perfFeeds {
			src := watchers.NewFeedSource(fmt.Sprint("feed-", i), fmt.Sprintf("http://%s/feed/%d.rss", addrs[i%len(addrs)], i), f)
			if err := s.Add(src, "@every 15m"); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		b.StartTimer()

		cycle := func() (wall, cpu time.Duration, items int) {
			w0, c0 := time.Now(), cpuTime()
			for _, r := range s.PollAll(ctx) {
				if r.Err != nil {
					b.Fatalf("poll %s: %v", r.SourceID, r.Err)
				}
				items += r.Items
			}
			return time.Since(w0), cpuTime() - c0, items
		}
		w1, c1, n1 := cycle()
		// Items are indexed for search after they are stored, when the
		// writer has nothing more urgent: how much later is it done?
		t0, ic0 := time.Now(), cpuTime()
		st.AwaitSearchIndex(ctx)
		indexLag, indexCPU := time.Since(t0), cpuTime()-ic0
		// The background work the first cycle left (the checkpoint of
		// its WAL) is its cost too, not the second cycle's.
		settleCPU := settle()
		// ITUWATCH_PERF_PROFILE2=file profiles the second cycle alone
		// (go test's -cpuprofile covers both, and the first dominates).
		if path := os.Getenv("ITUWATCH_PERF_PROFILE2"); path != "" {
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
		w2, c2, n2 := cycle()
		if n1 != perfFeeds*perfItems || n2 != 0 {
			b.Fatalf("first cycle saw %d items (want %d), second %d (want 0)", n1, perfFeeds*perfItems, n2)
		}
		b.StopTimer()
		b.ReportMetric(w1.Seconds(), "cycle1-s")
		b.ReportMetric(c1.Seconds(), "cycle1-cpu-s")
		b.ReportMetric(indexLag.Seconds(), "index-after-s")
		b.ReportMetric(w2.Seconds(), "cycle2-s")
		b.ReportMetric(c2.Seconds(), "cycle2-cpu-s")
		b.ReportMetric(indexCPU.Seconds(), "index-after-cpu-s")
		b.ReportMetric(settleCPU.Seconds(), "settle-cpu-s")
		// The first cycle's cost includes the work it left behind.
		b.ReportMetric(100*c2.Seconds()/(c1+indexCPU+settleCPU).Seconds(), "cycle2-cpu-%")
		b.ReportMetric(float64(vmHWM())/(1<<20), "peak-rss-MiB")
		b.ReportMetric(float64(size)/(1<<20), "feeds-MiB")
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// daemonFetcher is the fetcher ituwatch runs with when its config leaves
// http alone (config owns those defaults), let onto loopback.
func daemonFetcher() *watchers.Fetcher {
	h := config.Default().HTTP
	return watchers.NewFetcher(watchers.FetcherOptions{
		Timeout:              h.Timeout,
		MaxBodyBytes:         h.MaxBodyBytes,
		PerHostConcurrency:   h.PerHostConcurrency,
		BodyMemory:           h.BodyMemory,
		AllowPrivateNetworks: true,
	})
}
