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
	// feeds on many sites: 31 feeds per host. PollAll runs with the shipped
	// bound (config's http.concurrency), not one tuned for the benchmark.
	perfHosts = 64
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
	// Most servers compress XML: three feeds in four answer gzip
	// (ITUWATCH_PERF_PLAIN=1 serves all plain, for comparison).
	if os.Getenv("ITUWATCH_PERF_PLAIN") == "" {
		fs.GzipMost()
	}
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
	fmt.Printf("FEEDS %d %d %s\n", fs.Bytes(), fs.WireBytes(), strings.Join(addrs, ","))
	// Serve until the benchmark closes stdin or kills this process.
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startFeedServer runs TestPerfFeedServer in a child process and returns
// its addresses, the total size of the feeds and what they weigh on the
// wire (compressed where served gzip).
func startFeedServer(b *testing.B) (addrs []string, bytes, wire int) {
	f := strings.Fields(startFeedChild(b, "TestPerfFeedServer", "ITUWATCH_PERF_FEEDSERVER"))
	if len(f) != 3 {
		b.Fatalf("feed server said %q", f)
	}
	bytes, _ = strconv.Atoi(f[0])
	wire, _ = strconv.Atoi(f[1])
	return strings.Split(f[2], ","), bytes, wire
}

// startFeedChild runs the test named test in a child process (its feed
// servers are kept out of the measured process's CPU time and memory) with
// env set to 1, and returns what follows "FEEDS " on the line it prints
// once it serves. The child stops when the benchmark ends.
func startFeedChild(b *testing.B, test, env string) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), env+"=1")
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
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return rest
		}
	}
	b.Fatalf("feed server %s did not start: %v", test, sc.Err())
	return ""
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
// PollAll runs with the shipped http defaults, and three feeds in four are
// served gzip. It reports when the first cycle's alerts are all queued
// (alerted-s) and when its items are all searchable (searchable-s), each
// cycle's CPU with the work it leaves behind (indexing, checkpoint) and the
// second's as a plain percentage of the first's, and the process's peak
// resident memory.
func BenchmarkPollCycle(b *testing.B) {
	addrs, size, wire := startFeedServer(b)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		st, err := openBenchStore(b)
		if err != nil {
			b.Fatal(err)
		}
		if v := os.Getenv("ITUWATCH_PERF_FTS_HASHSIZE"); v != "" && benchDriver() == store.DriverSQLite {
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
		s := watchers.NewScheduler(watchers.SchedulerOptions{States: st, Sink: in.Ingest, PollAllConcurrency: config.Default().HTTP.Concurrency, Logger: log})
		for i := range perfFeeds {
			src := watchers.NewFeedSource(fmt.Sprint("feed-", i), fmt.Sprintf("http://%s/feed/%d.rss", addrs[i%len(addrs)], i), f)
			if err := s.Add(src, "@every 15m"); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		b.StartTimer()

		// A cycle is charged everything it causes: the polls, the search
		// indexing the writer does after storing, and the background work
		// left (the WAL checkpoint), counted the same way for both cycles.
		type cost struct {
			wall, searchable time.Duration // from the cycle's start
			pollCPU, cpu     time.Duration // the polls alone; everything
			serverCPU        time.Duration // Postgres's processes (0 on SQLite)
			items            int
		}
		cycle := func() (c cost) {
			w0, c0, s0 := time.Now(), cpuTime(), serverCPU()
			for _, r := range s.PollAll(ctx) {
				if r.Err != nil {
					b.Fatalf("poll %s: %v", r.SourceID, r.Err)
				}
				c.items += r.Items
			}
			// Every alert is in the store's outbox when PollAll returns.
			c.wall, c.pollCPU = time.Since(w0), cpuTime()-c0
			// Items are indexed for search after they are stored, when the
			// writer has nothing more urgent.
			st.AwaitSearchIndex(ctx)
			c.searchable = time.Since(w0)
			settle()
			c.cpu = cpuTime() - c0
			c.serverCPU = serverCPU() - s0
			return c
		}
		first := cycle()
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
		second := cycle()
		if first.items != perfFeeds*perfItems || second.items != 0 {
			b.Fatalf("first cycle saw %d items (want %d), second %d (want 0)", first.items, perfFeeds*perfItems, second.items)
		}
		b.StopTimer()
		b.ReportMetric(first.wall.Seconds(), "alerted-s")
		b.ReportMetric(first.searchable.Seconds(), "searchable-s")
		b.ReportMetric(first.pollCPU.Seconds(), "cycle1-poll-cpu-s")
		b.ReportMetric(first.cpu.Seconds(), "cycle1-cpu-s")
		b.ReportMetric(second.wall.Seconds(), "cycle2-s")
		b.ReportMetric(second.pollCPU.Seconds(), "cycle2-poll-cpu-s")
		b.ReportMetric(second.cpu.Seconds(), "cycle2-cpu-s")
		b.ReportMetric(100*second.cpu.Seconds()/first.cpu.Seconds(), "cycle2-cpu-%")
		if benchDriver() == store.DriverPostgres {
			b.ReportMetric(first.serverCPU.Seconds(), "cycle1-server-cpu-s")
			b.ReportMetric(second.serverCPU.Seconds(), "cycle2-server-cpu-s")
			b.ReportMetric(100*(second.cpu+second.serverCPU).Seconds()/(first.cpu+first.serverCPU).Seconds(), "cycle2-total-cpu-%")
		}
		b.ReportMetric(float64(vmHWM())/(1<<20), "peak-rss-MiB")
		b.ReportMetric(float64(size)/(1<<20), "feeds-MiB")
		b.ReportMetric(float64(wire)/(1<<20), "wire-MiB")
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
