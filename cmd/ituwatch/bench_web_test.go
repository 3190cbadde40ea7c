package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
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
	if _, err := os.Stat(done); err == nil {
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
	if err := os.WriteFile(done, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s with %d items in %s", path, n, time.Since(start).Round(time.Second))
	return path, n
}

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

// webBenchMeetings are the meetings the documents of the store belong to,
// numbered as ITU numbers them.
var webBenchMeetings = []struct{ series, meeting, prefix string }{
	{"C", "C26", "C26/"}, {"C", "C25", "C25/"}, {"PP", "PP26", "PP26/"},
	{"CWG-Internet", "CWG-Internet-19", "CWG-Internet-19/"}, {"TSAG", "T25-TSAG", "TSAG-C-"},
	{"WTSA", "WTSA-24", "WTSA-24/"},
}

var webBenchProposers = []string{"Russian Federation", "RCC", "China", "Saudi Arabia", "Arab States", "United States", "European Union", "CEPT", "Brazil", "India", "ATU", "APT", "CITEL", "Iran (Islamic Republic of)"}

// fillWebExtras gives fillHistory's alerts what the web view shows of
// real ones: each match a quotation of its words in the item's text, and
// one alerted item in twenty an ITU document (number, revision, languages,
// proposers), in the item row and the copy its alert keeps. Alerts that
// already have quotations are left alone, so a rerun adds nothing.
func fillWebExtras(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT a.id, a.item_rowid, a.item, m.topic_name FROM alerts a
		JOIN alert_matches m ON m.alert_id = a.id AND m.seq = 0
		WHERE m.snippets IS NULL ORDER BY a.id`)
	if err != nil {
		return fmt.Errorf("read the alerts: %w", err)
	}
	type alertRow struct {
		id, rowID int64
		item      string
		topic     string
	}
	var todo []alertRow
	for rows.Next() {
		var r alertRow
		if err := rows.Scan(&r.id, &r.rowID, &r.item, &r.topic); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	const batch = 10_000
	for start := 0; start < len(todo); start += batch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		setSnippets, _ := tx.PrepareContext(ctx, `UPDATE alert_matches SET snippets = ? WHERE alert_id = ? AND seq = 0`)
		setAlertItem, _ := tx.PrepareContext(ctx, `UPDATE alerts SET item = ? WHERE id = ?`)
		setDoc, err := tx.PrepareContext(ctx, `UPDATE items SET document = ? WHERE id = ?`)
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("prepare (has the schema changed?): %w", err)
		}
		for _, r := range todo[start:min(start+batch, len(todo))] {
			var it model.Item
			if err := json.Unmarshal([]byte(r.item), &it); err != nil {
				tx.Rollback()
				return fmt.Errorf("alert %d's item: %w", r.id, err)
			}
			rnd := rand.New(rand.NewPCG(uint64(r.id), 13))
			sn := []model.Snippet{{Field: "summary", Parts: []model.SnippetPart{
				{Text: "…" + clipWords(it.Summary, 12) + " "},
				{Text: r.topic, Hit: true},
				{Text: " " + clipWords(it.Content, 14) + "…"},
			}}}
			snJSON, _ := json.Marshal(sn)
			if _, err := setSnippets.ExecContext(ctx, string(snJSON), r.id); err != nil {
				tx.Rollback()
				return fmt.Errorf("snippets of alert %d: %w", r.id, err)
			}
			if r.id%20 != 0 {
				continue
			}
			m := webBenchMeetings[rnd.IntN(len(webBenchMeetings))]
			doc := &model.DocumentRef{
				Number: fmt.Sprint(m.prefix, 1+rnd.IntN(150)), Series: m.series, Meeting: m.meeting,
				Languages: []string{"E", "F", "S", "A", "C", "R"}[:1+rnd.IntN(6)],
				Proposers: []string{webBenchProposers[rnd.IntN(len(webBenchProposers))]},
			}
			if rnd.IntN(3) == 0 {
				doc.Revision = fmt.Sprint("Rev.", 1+rnd.IntN(2))
			}
			if rnd.IntN(4) == 0 {
				doc.Proposers = append(doc.Proposers, webBenchProposers[rnd.IntN(len(webBenchProposers))])
			}
			it.Document = doc
			docJSON, _ := json.Marshal(doc)
			itemJSON, _ := json.Marshal(it)
			if _, err := setDoc.ExecContext(ctx, string(docJSON), r.rowID); err != nil {
				tx.Rollback()
				return fmt.Errorf("document of item %d: %w", r.rowID, err)
			}
			if _, err := setAlertItem.ExecContext(ctx, string(itemJSON), r.id); err != nil {
				tx.Rollback()
				return fmt.Errorf("item of alert %d: %w", r.id, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
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
