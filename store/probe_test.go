package store

import (
	"context"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	s, _ := openTest(t)
	fillBench(&testing.B{}, s, 100000)
	ctx := context.Background()
	qs := map[string]string{
		"bm25-2000":  `SELECT count(*) FROM (SELECT rowid, bm25(items_fts, 10.0, 4.0, 1.0) FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC LIMIT 2000)`,
		"bm25-200":   `SELECT count(*) FROM (SELECT rowid, bm25(items_fts, 10.0, 4.0, 1.0) FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC LIMIT 200)`,
		"nobm25-2000": `SELECT count(*) FROM (SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC LIMIT 2000)`,
		"count":      `SELECT count(*) FROM items_fts WHERE items_fts MATCH ?`,
	}
	for _, m := range []string{`"itu"`, `"council" "resolution"`, `"new ip"`, `"sovereignty"`} {
		for name, q := range qs {
			st := time.Now()
			var n int
			for range 5 {
				if err := s.r.QueryRowContext(ctx, q, m).Scan(&n); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%-25s %-12s n=%6d %v", m, name, n, time.Since(st)/5)
		}
	}
}
