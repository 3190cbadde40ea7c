package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ituwatch/ituwatch/config"
	"github.com/ituwatch/ituwatch/model"
)

// The demo's sources are written for the project and ship inside the binary,
// so `ituwatch demo` runs the real pipeline with no network and no config.
//
//go:embed demo/*
var demoFiles embed.FS

type demoSource struct {
	id, name, typ, file string
}

var demoSources = []demoSource{
	{"itu-news", "ITU Newsroom (sample)", "rss", "itu-news.rss"},
	{"cwg-internet-docs", "CWG-Internet documents (sample)", "itu-listing", "cwg-internet-listing.html"},
	{"pp26-docs", "PP-26 contributions (sample)", "itu-listing", "pp26-contributions.html"},
	{"open-internet-dispatch", "Open Internet Dispatch (sample)", "atom", "civil-society.atom"},
	{"telecom-trade-wire", "Telecom Trade Wire (sample)", "feed", "trade-press.json"},
}

// demoServer serves the embedded samples on loopback with ETags, so that the
// second poll exercises conditional GET. A file can be swapped for a later
// version to show how updates are threaded.
type demoServer struct {
	mu    sync.Mutex
	files map[string][]byte // URL path -> body
}

func (d *demoServer) set(path string, body []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.files[path] = body
}

func (d *demoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	body, ok := d.files[r.URL.Path]
	d.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(body)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	switch filepath.Ext(r.URL.Path) {
	case ".rss", ".atom":
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	case ".json":
		w.Header().Set("Content-Type", "application/feed+json")
	case ".html", "":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	case ".docx":
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
	case ".pdf":
		w.Header().Set("Content-Type", "application/pdf")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func cmdDemo(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "demo", "demo [--json] [--db FILE] [--web [--web-listen ADDR]]")
	jsonOut := fs.Bool("json", false, "print alerts as JSON lines")
	dbPath := fs.String("db", "", "keep the demo database in this file (default: a temporary file, removed at exit)")
	level := fs.String("log-level", "warn", "log level")
	webOn := fs.Bool("web", false, "then serve the web view on the demo's data until interrupted")
	webListen := fs.String("web-listen", config.DefaultWebListen, "where --web serves (loopback)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	srv := &demoServer{files: map[string][]byte{}}
	for _, s := range demoSources {
		body, err := demoFiles.ReadFile("demo/" + s.file)
		if err != nil {
			return fmt.Errorf("read embedded sample %s: %w", s.file, err)
		}
		srv.set("/"+s.file, body)
	}
	srv.serveDocs(demoDocs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen on loopback for the sample sources: %w", err)
	}
	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go httpSrv.Serve(ln)
	defer httpSrv.Close()
	base := "http://" + ln.Addr().String()

	if *dbPath == "" {
		dir, err := os.MkdirTemp("", "ituwatch-demo-")
		if err != nil {
			return fmt.Errorf("make a temporary directory: %w", err)
		}
		defer os.RemoveAll(dir)
		*dbPath = filepath.Join(dir, "demo.db")
	}

	cfg := config.Default()
	cfg.Store.Path = *dbPath
	cfg.HTTP.AllowPrivateNetworks = true // the samples are served on loopback
	cfg.Sources = nil
	for _, s := range demoSources {
		cfg.Sources = append(cfg.Sources, config.Source{ID: s.id, Name: s.name, Type: s.typ, URL: base + "/" + s.file, Schedule: "@every 15m"})
	}

	var mu sync.Mutex
	alertedTopics := map[string]int{}
	alerted := map[string]bool{}
	onAlert := func(a model.Alert, _ []string) {
		mu.Lock()
		defer mu.Unlock()
		alerted[a.Item.Key()] = true
		for _, t := range a.Topics() {
			alertedTopics[t]++
		}
	}
	out := env.stdout
	a, err := newApp(ctx, cfg, newLogger(env.stderr, *level), appOptions{stdout: out, jsonLines: *jsonOut, maxAge: -1, onAlert: onAlert})
	if err != nil {
		return err
	}
	defer a.Close()

	say := func(format string, args ...any) {
		if !*jsonOut {
			fmt.Fprintf(out, format, args...)
		}
	}
	say("ituwatch demo: %d sample sources served on %s (ITU news, two ITU document listings, civil-society and trade press)\n\n", len(demoSources), base)

	say("── Poll 1: every source is new ──────────────────────────────\n")
	say("   Look at PP26/1(Add.14): its title and source match nothing; the text of its Word file does, quoted, with its proposer (RCC).\n\n")
	if err := demoPoll(ctx, a, env); err != nil {
		return err
	}

	say("── Poll 2: nothing changed (conditional GET, 304 Not Modified) ──\n")
	before := countAlerts(&mu, alertedTopics)
	if err := demoPoll(ctx, a, env); err != nil {
		return err
	}
	say("   %d new alerts\n\n", countAlerts(&mu, alertedTopics)-before)

	say("── Poll 3: the listings now have revisions and a French version ──\n")
	say("   Look at PP26/1(Add.14) Rev.1: its Word file's tracked changes say what the revision adds.\n\n")
	for _, f := range []string{"cwg-internet-listing", "pp26-contributions"} {
		v2, err := demoFiles.ReadFile("demo/" + f + "-v2.html")
		if err != nil {
			return fmt.Errorf("read embedded sample: %w", err)
		}
		srv.set("/"+f+".html", v2)
	}
	srv.serveDocs(demoDocsV2)
	if err := demoPoll(ctx, a, env); err != nil {
		return err
	}

	if *jsonOut {
		if *webOn {
			return demoWeb(ctx, a, env, *webListen)
		}
		return nil
	}
	mu.Lock()
	topics := make([]string, 0, len(alertedTopics))
	for t := range alertedTopics {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	var parts []string
	for _, t := range topics {
		parts = append(parts, fmt.Sprintf("%s ×%d", t, alertedTopics[t]))
	}
	mu.Unlock()
	say("── Summary ──────────────────────────────────────────────────\n")
	say("alerts by topic: %s\n", strings.Join(parts, ", "))
	mu.Lock()
	quiet := demoQuiet(ctx, a, alerted)
	mu.Unlock()
	say("read but stayed quiet (%d): %s\n", len(quiet), strings.Join(quiet, "; "))
	say("\nNext: 'ituwatch init' writes a starter config that needs no tokens; then 'ituwatch once -c ituwatch.yaml' polls real sources once and 'ituwatch run -c ituwatch.yaml' keeps watching. ituwatch.example.yaml has every setting, Slack and Matrix included.\n")
	if *webOn {
		return demoWeb(ctx, a, env, *webListen)
	}
	say("'ituwatch demo --web' shows these alerts in the web view: a timeline per topic, a page per alert, search.\n")
	return nil
}

func countAlerts(mu *sync.Mutex, m map[string]int) int {
	mu.Lock()
	defer mu.Unlock()
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

func demoPoll(ctx context.Context, a *app, env *cliEnv) error {
	failed, err := a.pollOnce(ctx)
	if err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("sample sources failed:\n%s", joinLines(failed))
	}
	return nil
}

// demoQuiet lists the titles of stored items that did not alert: the hard
// negatives the rules are meant to ignore.
func demoQuiet(ctx context.Context, a *app, alerted map[string]bool) []string {
	var quiet []string
	_ = a.store.EachItem(ctx, time.Time{}, func(it model.Item) error {
		if !alerted[it.Key()] {
			quiet = append(quiet, fmt.Sprintf("%q", it.Title))
		}
		return nil
	})
	return quiet
}
