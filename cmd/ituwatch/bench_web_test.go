package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/rules"
	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/web"
)

// The web view's page benchmarks (BENCHMARKS.md §13) read a store of a
// million items with realistic alerts: the history benchmarks' items and
// alerts (fillHistory), then the alerts' quotations with the words that
// matched, one alerted item in twenty an ITU document of a meeting with its
// proposers and languages, and the sources' polling state. Building it
// takes minutes; it runs only when asked, and the file is kept between
// runs, named by its size:
//
//	ITUWATCH_BENCH_WEB=1 go test ./cmd/ituwatch -run '^$' -bench WebPages -benchtime 200x
//
// ITUWATCH_WEB_BENCH_ITEMS sets the size (default 1,000,000),
// ITUWATCH_WEB_BENCH_DIR the directory (default the system's temporary
// one). Delete the file to build it again.
func webBenchStore(b *testing.B) (path string, n int) {
	if os.Getenv("ITUWATCH_BENCH_WEB") == "" {
		b.Skip("set ITUWATCH_BENCH_WEB=1 to build (once) and render the web pages over a store of a million items")
	}
	n = 1_000_000
	if v, err := strconv.Atoi(os.Getenv("ITUWATCH_WEB_BENCH_ITEMS")); err == nil && v > 0 {
		n = v
	}
	dir := cmpOr(os.Getenv("ITUWATCH_WEB_BENCH_DIR"), os.TempDir())
	path = filepath.Join(dir, fmt.Sprintf("ituwatch-web-bench-%d.db", n))
	done := path + ".complete" // written last: a half-built file is built on
	if v, err := os.ReadFile(done); err == nil && string(v) == webBenchVersion {
		return path, n
	}
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { st.Close() }()
	var have int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM items`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if have < n {
		if err := fillHistory(ctx, st.DB(), have, n); err != nil {
			b.Fatal(err)
		}
	}
	if err := fillWebExtras(ctx, st.DB()); err != nil {
		b.Fatal(err)
	}
	for i := range webBenchSources {
		if err := st.SaveSourceState(ctx, webBenchSourceState(i, start)); err != nil {
			b.Fatal(err)
		}
	}
	// The rows were written beside the store's writer: reopen, so that it
	// learns of the items queued for the search index, and wait for it.
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	if st, err = store.Open(ctx, path); err != nil {
		b.Fatal(err)
	}
	st.AwaitSearchIndex(ctx)
	if err := os.WriteFile(done, []byte(webBenchVersion), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s with %d items in %s", path, n, time.Since(start).Round(time.Second))
	return path, n
}

// webBenchVersion is kept beside a finished store; a store built by an
// earlier version of fillWebExtras is completed again.
const webBenchVersion = "web-bench 2\n"

// webBenchSources are fillHistory's sources (src-0 … src-39).
var webBenchSources = func() []string {
	s := make([]string, 40)
	for i := range s {
		s[i] = fmt.Sprint("src-", i)
	}
	return s
}()

// webBenchSourceState is a source's polling state: most healthy, every
// seventh failing for a while, one retired.
func webBenchSourceState(i int, now time.Time) model.SourceState {
	st := model.SourceState{
		SourceID:    webBenchSources[i],
		ETag:        fmt.Sprintf(`"%x"`, i*7919),
		LastPoll:    now.Add(-time.Duration(i) * time.Minute),
		LastSuccess: now.Add(-time.Duration(i) * time.Minute),
		NextPoll:    now.Add(time.Duration(15-i%15) * time.Minute),
		ItemsSeen:   1_000_000 / 40,
	}
	if i%7 == 3 {
		st.LastSuccess = now.Add(-time.Duration(i) * time.Hour)
		st.LastError = "GET https://news.example/feed: 503 Service Unavailable"
		st.ConsecutiveFailures = i / 7
	}
	if i == 39 {
		st.Retired = true
	}
	return st
}

// webBenchMeetings are the meetings the store's documents belong to: a
// number as ITU prints it (itudoc.Parse reads it, as the listings' do), and
// the key of the meeting's page in the web view.
var webBenchMeetings = []struct{ number, key string }{
	{"C26/%d", "C26"}, {"C25/%d", "C25"}, {"PP26/%d", "PP-26"},
	{"CWG-Internet 19/%d", "CWG-Internet-19"}, {"T25-TSAG-C-%04d", "TSAG-25"}, {"WTSA24/%d", "WTSA-24"},
}

var webBenchProposers = []string{"Russian Federation", "RCC", "China", "Saudi Arabia", "Arab States", "United States", "European Union", "CEPT", "Brazil", "India", "ATU", "APT", "CITEL", "Iran (Islamic Republic of)"}

// fillWebExtras gives fillHistory's alerts what the web view shows of
// real ones: each match a quotation of its words in the item's text, and
// one alerted item in twenty an ITU document (number, revision, languages,
// proposers), in the item row and the copy its alert keeps. Both passes
// can run again: quotations are added where missing, documents rewritten.
func fillWebExtras(ctx context.Context, db *sql.DB) error {
	type alertRow struct {
		id, rowID int64
		item      string
		topic     string
	}
	read := func(where string) ([]alertRow, error) {
		rows, err := db.QueryContext(ctx, `SELECT a.id, a.item_rowid, a.item, m.topic_name FROM alerts a
			JOIN alert_matches m ON m.alert_id = a.id AND m.seq = 0 WHERE `+where+` ORDER BY a.id`)
		if err != nil {
			return nil, fmt.Errorf("read the alerts: %w", err)
		}
		defer rows.Close()
		var out []alertRow
		for rows.Next() {
			var r alertRow
			if err := rows.Scan(&r.id, &r.rowID, &r.item, &r.topic); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rows.Err()
	}
	// inBatches runs fn on rows in transactions of 10,000.
	inBatches := func(rows []alertRow, fn func(tx *sql.Tx, r alertRow) error) error {
		const batch = 10_000
		for start := 0; start < len(rows); start += batch {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			for _, r := range rows[start:min(start+batch, len(rows))] {
				if err := fn(tx, r); err != nil {
					tx.Rollback()
					return err
				}
			}
			if err := tx.Commit(); err != nil {
				return err
			}
		}
		return nil
	}

	todo, err := read(`m.snippets IS NULL`)
	if err != nil {
		return err
	}
	err = inBatches(todo, func(tx *sql.Tx, r alertRow) error {
		var it model.Item
		if err := json.Unmarshal([]byte(r.item), &it); err != nil {
			return fmt.Errorf("alert %d's item: %w", r.id, err)
		}
		sn := []model.Snippet{{Field: "summary", Parts: []model.SnippetPart{
			{Text: "…" + clipWords(it.Summary, 12) + " "},
			{Text: r.topic, Hit: true},
			{Text: " " + clipWords(it.Content, 14) + "…"},
		}}}
		snJSON, _ := json.Marshal(sn)
		if _, err := tx.ExecContext(ctx, `UPDATE alert_matches SET snippets = ? WHERE alert_id = ? AND seq = 0`, string(snJSON), r.id); err != nil {
			return fmt.Errorf("snippets of alert %d: %w", r.id, err)
		}
		return nil
	})
	if err != nil {
		return err
	}

	docs, err := read(`a.id % 20 = 0`)
	if err != nil {
		return err
	}
	err = inBatches(docs, func(tx *sql.Tx, r alertRow) error {
		var it model.Item
		if err := json.Unmarshal([]byte(r.item), &it); err != nil {
			return fmt.Errorf("alert %d's item: %w", r.id, err)
		}
		rnd := rand.New(rand.NewPCG(uint64(r.id), 13))
		m := webBenchMeetings[rnd.IntN(len(webBenchMeetings))]
		doc, ok := itudoc.Parse(fmt.Sprintf(m.number, 1+rnd.IntN(150)))
		if !ok {
			return fmt.Errorf("%q is no ITU document number", m.number)
		}
		doc.Languages = []string{"en", "fr", "es", "ar", "zh", "ru"}[:1+rnd.IntN(6)]
		doc.Proposers = []string{webBenchProposers[rnd.IntN(len(webBenchProposers))]}
		if rnd.IntN(3) == 0 {
			doc.Revision = fmt.Sprint("Rev.", 1+rnd.IntN(2))
		}
		if rnd.IntN(4) == 0 {
			doc.Proposers = append(doc.Proposers, webBenchProposers[rnd.IntN(len(webBenchProposers))])
		}
		it.Document = doc
		docJSON, _ := json.Marshal(doc)
		itemJSON, _ := json.Marshal(it)
		if _, err := tx.ExecContext(ctx, `UPDATE items SET document = ? WHERE id = ?`, string(docJSON), r.rowID); err != nil {
			return fmt.Errorf("document of item %d: %w", r.rowID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET item = ? WHERE id = ?`, string(itemJSON), r.id); err != nil {
			return fmt.Errorf("item of alert %d: %w", r.id, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `PRAGMA optimize`)
	return err
}

// clipWords is the first n words of s.
func clipWords(s string, n int) string {
	words := 0
	for i, r := range s {
		if r == ' ' {
			if words++; words == n {
				return s[:i]
			}
		}
	}
	return s
}

// webBenchHandler is the web view over st, wired as `run` wires it: the
// builtin rules, the store's sources; warm fills its caches first, as
// serving does.
func webBenchHandler(b *testing.B, st *store.Store, warm bool) http.Handler {
	b.Helper()
	eng, err := loadEngine(nil)
	if err != nil {
		b.Fatal(err)
	}
	pack, err := rules.LoadPack("builtin:itu")
	if err != nil {
		b.Fatal(err)
	}
	var sources []web.Source
	for i, id := range webBenchSources {
		sources = append(sources, web.Source{ID: id, Name: fmt.Sprintf("News source %d", i), Type: "rss", URL: fmt.Sprintf("https://news.example/%d/feed.xml", i), Schedule: "@every 15m"})
	}
	h, err := web.NewHandler(web.Options{
		Store: st, Engine: eng, Packs: []*rules.Pack{pack}, Sources: sources,
		Listen: "127.0.0.1:8080", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: version,
	})
	if err != nil {
		b.Fatal(err)
	}
	if warm {
		// As `run` and `demo --web` do when they start serving.
		if w, ok := h.(interface{ Warm(context.Context) error }); ok {
			if err := w.Warm(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	return h
}

// coldRenders is how many first renders timeline-cold measures.
const coldRenders = 10

// BenchmarkWebPages renders each page of the web view through its real
// handler (httptest, no network) over the million-item store and reports
// p50, p99 and max per page. Pages that take an id or words are asked with
// a different one each time (alerts spread over the store, a search mix),
// so that no answer comes from a cache warmed by the same request; the
// timeline keeps its counts between requests, as it does in a running
// daemon (the handler is warmed first, as serving does), and timeline-cold
// is the first render in a new, unwarmed handler (coldRenders of them): what
// a person who asks while the cache is still warming waits.
//
//	ITUWATCH_BENCH_WEB=1 go test ./cmd/ituwatch -run '^$' -bench WebPages -benchtime 200x
func BenchmarkWebPages(b *testing.B) {
	path, n := webBenchStore(b)
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var minID, maxID int64
	if err := st.DB().QueryRowContext(ctx, `SELECT min(id), max(id) FROM alerts`).Scan(&minID, &maxID); err != nil {
		b.Fatal(err)
	}
	var docAlerts []int64 // alerts of documents: the pages with the most to show
	rows, err := st.DB().QueryContext(ctx, `SELECT id FROM alerts WHERE id % 20 = 0 ORDER BY id DESC LIMIT 500`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		docAlerts = append(docAlerts, id)
	}
	rows.Close()
	warmStart := time.Now()
	h := webBenchHandler(b, st, true)
	b.Logf("store %s: %d items, alerts %d–%d; handler warmed in %s", path, n, minID, maxID, time.Since(warmStart).Round(time.Millisecond))

	r := rand.New(rand.NewPCG(17, 13))
	qs := searchMix()
	week := func() string {
		y, w := time.Now().AddDate(0, 0, -7*r.IntN(52)).ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	}
	topic := func() string { return historyTopics[r.IntN(len(historyTopics))].id }
	day := func(daysAgo int) string { return time.Now().AddDate(0, 0, -daysAgo).Format(time.DateOnly) }
	pages := []struct {
		name string
		url  func(i int) string
		h    func() http.Handler // nil: the shared handler
	}{
		{"timeline", func(int) string { return "/" }, nil},
		{"timeline-cold", func(int) string { return "/" }, func() http.Handler { return webBenchHandler(b, st, false) }},
		{"alert", func(int) string { return fmt.Sprint("/alerts/", minID+r.Int64N(maxID-minID+1)) }, nil},
		{"alert-document", func(i int) string { return fmt.Sprint("/alerts/", docAlerts[i%len(docAlerts)]) }, nil},
		{"bar", func(int) string { return "/alerts?topic=" + topic() + "&week=" + week() }, nil},
		{"recent", func(int) string { return "/alerts" }, nil},
		{"search", func(i int) string { return "/search?q=" + url.QueryEscape(qs[i%len(qs)]) }, nil},
		{"search-topic", func(i int) string {
			return "/search?q=" + url.QueryEscape(qs[i%len(qs)]) + "&topic=" + topic()
		}, nil},
		{"search-all-filters", func(i int) string {
			return "/search?q=" + url.QueryEscape(qs[i%len(qs)]) + "&topic=" + topic() + "&source=src-" + strconv.Itoa(r.IntN(40)) +
				"&proposer=" + url.QueryEscape(webBenchProposers[r.IntN(len(webBenchProposers))]) + "&from=" + day(365) + "&to=" + day(0)
		}, nil},
		{"documents", func(int) string { return "/documents" }, nil},
		{"meeting", func(i int) string { return "/documents/" + webBenchMeetings[i%len(webBenchMeetings)].key }, nil},
		{"sources", func(int) string { return "/sources" }, nil},
		{"rules", func(int) string { return "/rules" }, nil},
		{"rules-test", func(i int) string {
			return "/rules/test?title=" + url.QueryEscape(qs[i%len(qs)]) + "&text=" + url.QueryEscape("Delegates at TSAG discussed the New IP proposal and Resolution 102 on Internet-related public policy.")
		}, nil},
	}
	// The store's own search for the same queries, without a page: what
	// the search page adds is the difference.
	b.Run("search-store-only", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		cpu := make([]time.Duration, 0, b.N)
		i := 0
		for b.Loop() {
			c := cpuTime()
			t := time.Now()
			if _, _, err := st.SearchCovered(ctx, qs[i%len(qs)], 50); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t))
			cpu = append(cpu, cpuTime()-c)
			i++
		}
		reportLatencies(b, lat)
		slices.Sort(cpu)
		b.ReportMetric(ms(cpu[len(cpu)/2]), "cpu-p50-ms")
		b.ReportMetric(ms(cpu[min(len(cpu)-1, len(cpu)*99/100)]), "cpu-p99-ms")
	})
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			cpu := make([]time.Duration, 0, b.N) // the process's CPU time: what the page costs, whatever the load
			var bytes int
			i := 0
			for b.Loop() {
				hh := h
				if p.h != nil {
					if i >= coldRenders {
						continue // each costs a whole read of the year's alerts
					}
					b.StopTimer()
					hh = p.h()
					b.StartTimer()
				}
				u := p.url(i)
				i++
				req := httptest.NewRequest(http.MethodGet, u, nil)
				rec := httptest.NewRecorder()
				c := cpuTime()
				t := time.Now()
				hh.ServeHTTP(rec, req)
				lat = append(lat, time.Since(t))
				cpu = append(cpu, cpuTime()-c)
				if rec.Code != http.StatusOK && !(p.name == "alert" && rec.Code == http.StatusNotFound) {
					b.Fatalf("GET %s: %d\n%.500s", u, rec.Code, rec.Body.String())
				}
				bytes = rec.Body.Len()
			}
			reportLatencies(b, lat)
			slices.Sort(cpu)
			b.ReportMetric(ms(cpu[len(cpu)/2]), "cpu-p50-ms")
			b.ReportMetric(ms(cpu[min(len(cpu)-1, len(cpu)*99/100)]), "cpu-p99-ms")
			b.ReportMetric(float64(bytes), "bytes")
		})
	}
}

// cpuTime is the CPU time the process has used, user and system: on a
// shared machine a page's wall time includes waiting for a core, its CPU
// time does not (it does include the garbage collector's share).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportLatencies reports p50, p99 and max of lat in milliseconds.
func reportLatencies(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
}

// BenchmarkWebStore only builds the store (and reports its size), so that
// it can be built ahead of the page benchmarks.
func BenchmarkWebStore(b *testing.B) {
	path, n := webBenchStore(b)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
	}
	b.ReportMetric(float64(n), "items")
	b.ReportMetric(float64(fi.Size())/(1<<20), "MiB")
}
