// Command idle measures what the daemon costs when it has nothing to do: it
// serves generated feeds on loopback, starts `ituwatch run` with that many
// sources on 15-minute schedules, waits for the first full poll to be
// ingested, then samples the daemon's CPU time and resident memory from
// /proc for the measuring window.
//
//	go build -o /tmp/ituwatch ./cmd/ituwatch
//	go run ./internal/perf/idle -bin /tmp/ituwatch -sources 500 -window 10m
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ituwatch/ituwatch/internal/perf/corpus"
)

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

func main() {
	bin := flag.String("bin", "/tmp/ituwatch", "ituwatch binary")
	sources := flag.Int("sources", 500, "number of feed sources")
	window := flag.Duration("window", 10*time.Minute, "measuring window after the first poll was ingested")
	every := flag.Duration("sample", 5*time.Second, "sampling interval")
	schedule := flag.String("schedule", "*/15 * * * *", "cron schedule of every source")
	dir := flag.String("dir", "", "work directory (default: a new temporary one)")
	flag.Parse()

	if *dir == "" {
		d, err := os.MkdirTemp("", "ituwatch-idle-")
		if err != nil {
			log.Fatal(err)
		}
		*dir = d
	}
	fs := corpus.NewFeedServer(*sources, 20, 1000, time.Now())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = http.Serve(ln, fs) }()

	var cfg bytes.Buffer
	fmt.Fprintf(&cfg, "store: {path: %s}\nhttp: {allow_private_networks: true}\nrules: {packs: [\"builtin:itu\"]}\n", filepath.Join(*dir, "ituwatch.db"))
	fmt.Fprintf(&cfg, "routes:\n  - {topics: [\"*\"], min_severity: low, to: [console]}\nsources:\n")
	for i := range *sources {
		fmt.Fprintf(&cfg, "  - {id: feed-%d, type: rss, url: \"http://%s/feed/%d.rss\", schedule: %q}\n", i, ln.Addr(), i, *schedule)
	}
	cfgPath := filepath.Join(*dir, "ituwatch.yaml")
	if err := os.WriteFile(cfgPath, cfg.Bytes(), 0o600); err != nil {
		log.Fatal(err)
	}
	stdout, _ := os.Create(filepath.Join(*dir, "stdout.log"))
	stderr, _ := os.Create(filepath.Join(*dir, "stderr.log"))
	cmd := exec.Command(*bin, "run", "-c", cfgPath, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	pid := cmd.Process.Pid
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	log.Printf("daemon pid %d, %d sources, work dir %s", pid, *sources, *dir)

	// Warm-up: the first PollAll fetches and ingests every feed. It is over
	// when every feed was requested and the daemon's CPU time stops moving.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	last := cpuTicks(pid)
	still := 0
	for still < 3 {
		select {
		case <-ctx.Done():
			log.Fatal("warm-up did not finish in 5 minutes")
		case <-time.After(time.Second):
		}
		now := cpuTicks(pid)
		if fs.OK.Load()+fs.NotModified.Load() >= int64(*sources) && now-last <= 1 {
			still++
		} else {
			still = 0
		}
		last = now
	}
	warm := time.Since(start)
	warmTicks := cpuTicks(pid)
	log.Printf("first poll ingested after %s using %.2f s CPU; RSS %d KiB (peak %d KiB)",
		warm.Round(time.Second), float64(warmTicks)/clockTicks, status(pid, "VmRSS"), status(pid, "VmHWM"))

	t0, c0 := time.Now(), cpuTicks(pid)
	req0 := fs.OK.Load() + fs.NotModified.Load()
	var rssSum, rssMax, samples int64
	for time.Since(t0) < *window {
		time.Sleep(*every)
		rss := status(pid, "VmRSS")
		rssSum += rss
		rssMax = max(rssMax, rss)
		samples++
	}
	wall := time.Since(t0)
	cpu := float64(cpuTicks(pid)-c0) / clockTicks
	total := float64(cpuTicks(pid)) / clockTicks
	fmt.Printf("sources=%d schedule=%q window=%s\n", *sources, *schedule, wall.Round(time.Second))
	fmt.Printf("window: cpu=%.2fs avg=%.3f%% of one core; rss avg=%.1f MiB max=%.1f MiB; requests=%d\n",
		cpu, 100*cpu/wall.Seconds(), float64(rssSum)/float64(samples)/1024, float64(rssMax)/1024, fs.OK.Load()+fs.NotModified.Load()-req0)
	fmt.Printf("including start-up (%s): cpu=%.2fs avg=%.3f%% of one core; peak rss (VmHWM)=%.1f MiB\n",
		warm.Round(time.Second), total, 100*total/time.Since(start).Seconds(), float64(status(pid, "VmHWM"))/1024)
}

// cpuTicks is utime+stime of pid from /proc/<pid>/stat.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		log.Fatalf("the daemon exited? %v", err)
	}
	// Fields after the command name, which may hold spaces, in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// status reads a kB field of /proc/<pid>/status.
func status(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		log.Fatalf("the daemon exited? %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
