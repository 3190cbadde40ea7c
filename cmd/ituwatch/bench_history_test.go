package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/internal/perf/corpus"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// The history benchmarks need a store of a million items, which takes
// minutes to build; they run only when asked, and keep the database file
// between runs:
//
//	ITUWATCH_BENCH_HISTORY=1 go test ./cmd/ituwatch -run '^$' -bench History -benchtime 200x
//
// ITUWATCH_HISTORY_DB names the file (default /tmp/ituwatch-history-zipf-1m.db),
// ITUWATCH_HISTORY_ITEMS its size (default 1,000,000). Delete the file to
// build it again.
func historyStore(b *testing.B) (path string, n int) {
	if os.Getenv("ITUWATCH_BENCH_HISTORY") == "" {
		b.Skip("set ITUWATCH_BENCH_HISTORY=1 to build (once) and query a store of a million items")
	}
	path = cmpOr(os.Getenv("ITUWATCH_HISTORY_DB"), "/tmp/ituwatch-history-zipf-1m.db")
	n = 1_000_000
	if v, err := strconv.Atoi(os.Getenv("ITUWATCH_HISTORY_ITEMS")); err == nil && v > 0 {
		n = v
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
	if have < n {
		start := time.Now()
		if err := fillHistory(ctx, st.DB(), have, n); err != nil {
			b.Fatal(err)
		}
		// The rows were written beside the store's writer, which learns of
		// the items queued for the search index when it starts: reopen and
		// wait for it to index them.
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		if st, err = store.Open(ctx, path); err != nil {
			b.Fatal(err)
		}
		st.AwaitSearchIndex(ctx)
		b.Logf("filled %s to %d items in %s", path, n, time.Since(start).Round(time.Second))
	}
	return path, n
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// historyTopics are builtin topics with the share of alerts each gets.
var historyTopics = []struct {
	id, name string
	sev      model.Severity
	every    int
}{
	{"mandate-creep", "ITU mandate creep", model.SeverityHigh, 2},
	{"new-ip", "New IP", model.SeverityHigh, 4},
	{"dns-naming", "DNS and naming", model.SeverityMedium, 5},
	{"ott", "OTT services", model.SeverityMedium, 8},
	{"surveillance", "Surveillance", model.SeverityHigh, 100},
}

// fillHistory writes items from..n with the schema's own SQL (the item
// triggers queue them for the search index, which the store's writer fills
// as it does for SaveItem), in transactions of 10,000, one
// alert with a delivered delivery per ten items. It is the bulk path
// SaveItem, one transaction per item, is not.
func fillHistory(ctx context.Context, db *sql.DB, from, n int) error {
	t0 := time.Now().Add(-time.Hour)
	r := rand.New(rand.NewPCG(uint64(from), 3))
	const batch = 10_000
	for done := from; done < n; done += batch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		insItem, _ := tx.PrepareContext(ctx, `INSERT INTO items (source_id, item_id, title, link, published, summary, content, fingerprint, first_seen, last_seen)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
		insAlert, _ := tx.PrepareContext(ctx, `INSERT INTO alerts (item_rowid, kind, item, created_at, max_severity) VALUES (?, 'new', ?, ?, ?) RETURNING id`)
		insMatch, _ := tx.PrepareContext(ctx, `INSERT INTO alert_matches (alert_id, seq, topic, topic_name, severity, score, hits) VALUES (?, 0, ?, ?, ?, 2, ?)`)
		insDelivery, _ := tx.PrepareContext(ctx, `INSERT INTO deliveries (alert_id, destination, status, attempts, created_at, delivered_at, external_id) VALUES (?, 'slack:C1', 'delivered', 1, ?, ?, 'ts')`)
		setAlert, err := tx.PrepareContext(ctx, `UPDATE items SET first_alert_id = ?1, last_alert_id = ?1 WHERE id = ?2`)
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("prepare (has the schema changed?): %w", err)
		}
		for i := done; i < min(done+batch, n); i++ {
			when := t0.Add(-time.Duration(n-i) * time.Minute)
			it := model.Item{
				SourceID: fmt.Sprint("src-", i%40), ID: fmt.Sprint("item-", i),
				Title: corpus.ZipfTitle(r, 30), Summary: corpus.ZipfText(r, 200, 40), Content: corpus.ZipfText(r, 500, 40),
				Link: fmt.Sprint("https://news.example/", i), Published: when,
			}
			var rowID int64
			if err := insItem.QueryRowContext(ctx, it.SourceID, it.ID, it.Title, it.Link, when.UnixNano(), it.Summary, it.Content,
				it.Fingerprint(), when.UnixNano(), when.UnixNano()).Scan(&rowID); err != nil {
				tx.Rollback()
				return fmt.Errorf("insert item %d: %w", i, err)
			}
			if i%10 != 0 {
				continue
			}
			tp := historyTopics[0]
			for _, t := range historyTopics {
				if r.IntN(t.every) == 0 {
					tp = t
				}
			}
			itemJSON, _ := json.Marshal(it)
			hits, _ := json.Marshal([]model.Hit{{Term: tp.id, Text: tp.name, Field: "title"}})
			var alertID int64
			if err := insAlert.QueryRowContext(ctx, rowID, string(itemJSON), when.UnixNano(), int(tp.sev)).Scan(&alertID); err != nil {
				tx.Rollback()
				return fmt.Errorf("insert alert: %w", err)
			}
			for _, st := range []*sql.Stmt{insMatch, insDelivery, setAlert} {
				var err error
				switch st {
				case insMatch:
					_, err = st.ExecContext(ctx, alertID, tp.id, tp.name, int(tp.sev), string(hits))
				case insDelivery:
					_, err = st.ExecContext(ctx, alertID, when.UnixNano(), when.UnixNano())
				default:
					_, err = st.ExecContext(ctx, alertID, rowID)
				}
				if err != nil {
					tx.Rollback()
					return fmt.Errorf("alert rows: %w", err)
				}
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	_, err := db.ExecContext(ctx, `PRAGMA optimize`)
	return err
}

// BenchmarkHistoryCommands answers chat commands through chat.Router over
// the million-item store and reports each command's p99 latency.
func BenchmarkHistoryCommands(b *testing.B) {
	path, n := historyStore(b)
	ctx := context.Background()
	st := openHistoryStore(b, path, n)
	defer st.Close()
	eng, err := loadEngine(nil)
	if err != nil {
		b.Fatal(err)
	}
	router := chat.NewRouter(chat.RouterOptions{Queries: st, Topics: topicInfos(eng), Version: version})
	b.Logf("store %s: %d items", path, n)
	for _, cmd := range []string{
		"recent", "recent 20", "recent mandate-creep", "recent new-ip 20", "recent surveillance",
		"search sovereignty", "search ITU", "search council resolution", `search "new IP"`,
		"search stadium", "search zzzunseen",
	} {
		b.Run(strings.ReplaceAll(cmd, " ", "_"), func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			lines := 0
			for b.Loop() {
				t := time.Now()
				rep := router.Handle(ctx, chat.Request{Text: cmd, Platform: "console", User: "bench"})
				lat = append(lat, time.Since(t))
				if rep.Error {
					b.Fatalf("%s: %s", cmd, rep.Title)
				}
				lines = len(rep.Lines)
			}
			slices.Sort(lat)
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
			b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
			b.ReportMetric(float64(lines), "lines")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkHistoryReplay runs `ituwatch rules replay` over every stored
// item with the builtin pack. Run it with -benchtime 1x.
func BenchmarkHistoryReplay(b *testing.B) {
	if historyDriver() != store.DriverSQLite {
		b.Skip("replay is measured on SQLite only (BENCHMARKS.md §14)")
	}
	path, n := historyStore(b)
	cfg := filepath.Join(b.TempDir(), "ituwatch.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "store: {path: %s}\nrules: {packs: [\"builtin:itu\"]}\nroutes:\n  - {topics: [\"*\"], to: [console]}\n", path), 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var stderr bytes.Buffer
		out := &countWriter{}
		env := &cliEnv{stdout: out, stderr: &stderr, stdin: strings.NewReader(""), lookupEnv: func(string) (string, bool) { return "", false }}
		start := time.Now()
		if code := runCLI(context.Background(), env, []string{"rules", "replay", "-c", cfg, "--since", "1990-01-01"}); code != 0 {
			b.Fatalf("replay exited %d: %s", code, stderr.String())
		}
		el := time.Since(start)
		b.ReportMetric(el.Seconds(), "replay-s")
		b.ReportMetric(float64(n)/el.Seconds(), "items/s")
		b.ReportMetric(float64(out.lines), "output-lines")
	}
}

type countWriter struct{ lines int }

func (w *countWriter) Write(p []byte) (int, error) {
	w.lines += bytes.Count(p, []byte("\n"))
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)

// searchMix returns the distinct search queries of BenchmarkHistorySearch
// in a fixed random order: common and rare words, two- and three-word
// queries, quoted phrases (real ones, and common words that never stand
// side by side), misses, document numbers, hyphenated words and numbers,
// the shapes people type, each asked once so that no answer comes from a
// cache warmed by the same query.
func searchMix() []string {
	r := rand.New(rand.NewPCG(16, 150))
	vocab := corpus.Vocabulary()
	common := func() string { return vocab[r.IntN(60)] }
	mid := func() string { return vocab[200+r.IntN(2_000)] }
	rare := func() string { return vocab[15_000+r.IntN(len(vocab)-15_000)] }
	domain := corpus.Words()
	seen := map[string]bool{}
	var qs []string
	add := func(q string) {
		if !seen[q] {
			seen[q] = true
			qs = append(qs, q)
		}
	}
	for _, q := range []string{
		"sovereignty", "ITU", "council resolution", `"new IP"`, "stadium", "zzzunseen",
		"over-the-top", "2030 over-the-top", "Internet-related", "civil-society", "treaty-based", "top-down",
		"2030", "102", "network 2030", `"network 2030"`, "Resolution 102", "IPv6", "CWG-Internet", "ITU-T",
		`"the council"`, `"budget stadium"`, `"ferry council"`, `"the the"`, `"new the"`, `"council budget"`,
		`"over the top"`, `"Internet protocol"`, `"digital sovereignty"`, `"study group"`,
	} {
		add(q)
	}
	for len(qs) < 200 {
		switch r.IntN(12) {
		case 0:
			add(common())
		case 1:
			add(mid())
		case 2:
			add(rare())
		case 3:
			add(common() + " " + common())
		case 4:
			add(common() + " " + rare())
		case 5:
			add(mid() + " " + common() + " " + common())
		case 6: // common words that are seldom or never neighbours
			add(`"` + common() + " " + common() + `"`)
		case 7:
			add(`"` + domain[r.IntN(len(domain))] + " " + domain[r.IntN(len(domain))] + `"`)
		case 8:
			add(fmt.Sprintf("C%02d/%d", 10+r.IntN(17), 1+r.IntN(120)))
		case 9:
			add(fmt.Sprint(1990 + r.IntN(46)))
		case 10:
			add(common() + "-" + mid())
		default: // misses
			add(fmt.Sprintf("%sq%dx", rare(), r.IntN(1000)))
		}
	}
	r.Shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
	return qs
}

// BenchmarkHistorySearch asks each query of searchMix once through
// chat.Router over the million-item store and reports p50, p99 and max
// over all of them; -v logs the slowest. Run it with -benchtime 1x.
func BenchmarkHistorySearch(b *testing.B) {
	path, n := historyStore(b)
	ctx := context.Background()
	st := openHistoryStore(b, path, n)
	defer st.Close()
	router := chat.NewRouter(chat.RouterOptions{Queries: st, Version: version})
	qs := searchMix()
	b.Logf("store %s: %d items, %d distinct queries", path, n, len(qs))
	type timed struct {
		q     string
		d     time.Duration
		lines int
	}
	for b.Loop() {
		lat := make([]timed, 0, len(qs))
		for _, q := range qs {
			t := time.Now()
			rep := router.Handle(ctx, chat.Request{Text: "search " + q, Platform: "console", User: "bench"})
			lat = append(lat, timed{q, time.Since(t), len(rep.Lines)})
			if rep.Error {
				b.Fatalf("search %s: %s", q, rep.Title)
			}
		}
		slices.SortFunc(lat, func(a, b timed) int { return int(a.d - b.d) })
		b.ReportMetric(ms(lat[len(lat)/2].d), "p50-ms")
		b.ReportMetric(ms(lat[len(lat)*99/100].d), "p99-ms")
		b.ReportMetric(ms(lat[len(lat)-1].d), "max-ms")
		for _, t := range lat[max(0, len(lat)-12):] {
			b.Logf("%8.1f ms  %3d lines  search %s", ms(t.d), t.lines, t.q)
		}
	}
}
