package store

import (
	"context"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	s, _ := openTest(t)
	fillBench(&testing.B{}, s, 30000)
	ctx := context.Background()
	qs := map[string]string{
		"bm25-2000":  `SELECT count(*), 0 FROM (SELECT rowid, bm25(items_fts, 10.0, 4.0, 1.0) FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC LIMIT 2000)`,
		"bm25-200":   `SELECT count(*), 0 FROM (SELECT rowid, bm25(items_fts, 10.0, 4.0, 1.0) FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC LIMIT 200)`,
		"nobm25-2000": `SELECT count(*), 0 FROM (SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC LIMIT 2000)`,
		"sumbm25":    `SELECT count(*), sum(sc) FROM (SELECT rowid, bm25(items_fts, 10.0, 4.0, 1.0) AS sc FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC LIMIT 2000)`,
		"full": `SELECT count(*), sum(x) FROM (SELECT c.id AS x FROM (
			SELECT rowid AS id, bm25(items_fts, 10.0, 4.0, 1.0) AS score
			FROM items_fts WHERE items_fts MATCH ?1
			ORDER BY rowid DESC LIMIT 2000
		) c JOIN items i ON i.id = c.id
		ORDER BY c.score, coalesce(i.published, i.updated, i.first_seen) DESC, c.id DESC
		LIMIT 10)`,
	}
	for _, m := range []string{`"itu"`, `"council" "resolution"`, `"new ip"`, `"sovereignty"`} {
		for name, q := range qs {
			st := time.Now()
			var n int
			var f any
			for range 5 {
				if err := s.r.QueryRowContext(ctx, q, m).Scan(&n, &f); err != nil {
					t.Fatal(err)
				}
			}
			st2 := time.Now()
			if _, err := s.Search(ctx, m, 10); err != nil {
				t.Fatal(err)
			}
			t.Logf("search %v", time.Since(st2))
			t.Logf("%-25s %-12s n=%6d %v", m, name, n, time.Since(st)/5)
		}
	}
}
