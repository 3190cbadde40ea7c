package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

func TestFTSQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"new ip", `"new" "ip"`},
		{`"New IP" successor`, `"New IP" "successor"`},
		{`"unbalanced`, `"unbalanced"`},
		{`a "b c" "d`, `"a" "b c" "d"`},
		{"AND OR", `"AND" "OR"`},
		{"*", ""},
		{"itu*", `"itu"`},
		{"col:foo", `"col:foo"`},
		{"NEAR(", `"NEAR("`},
		{"C20/51-E", `"C20/51-E"`},
		{"- ^ ( ) { } :", ""},
		{"\uE000x\uE001", `"x"`},
		{"", ""},
		{strings.Repeat("w ", 40), strings.TrimSpace(strings.Repeat(`"w" `, maxSearchWords))},
	}
	for _, tt := range tests {
		if got := ftsQuery(tt.in); got != tt.want {
			t.Errorf("ftsQuery(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func seedSearch(t *testing.T, s *Store, clock *fakeClock) map[string]int64 {
	t.Helper()
	items := []struct {
		it     model.Item
		topics []string
	}{
		{model.Item{SourceID: "itu-news", ID: "newip", Title: "TSAG debates New IP successor",
			Summary:   "Proposals for a top-down redesign of the Internet protocol return to ITU-T.",
			Published: t0.Add(-48 * time.Hour)}, []string{"new-ip", "mandate-creep"}},
		{model.Item{SourceID: "press", ID: "camera", Title: "A new IP camera for shops",
			Content:   "The vendor's new IP camera records video. Nothing about the ITU.",
			Published: t0.Add(-24 * time.Hour)}, nil},
		{model.Item{SourceID: "itu-docs", ID: "c20-51", Title: "Council document C20/51-E",
			Content: "Report on Resolution 102 and CWG-Internet.", Published: t0.Add(-72 * time.Hour)}, []string{"mandate-creep"}},
		{model.Item{SourceID: "press", ID: "hostile", Title: "Marker test",
			Content: "Stored text with \uE000private\uE001 marker characters around the word sovereignty in it."}, nil},
		{model.Item{SourceID: "press", ID: "older", Title: "Patent office news",
			Summary: "A patent dispute.", Published: t0.Add(-96 * time.Hour)}, nil},
		{model.Item{SourceID: "press", ID: "newer", Title: "Patent office news",
			Summary: "A patent dispute.", Published: t0.Add(-12 * time.Hour)}, nil},
	}
	ids := map[string]int64{}
	for _, x := range items {
		sv := model.ItemSave{Item: x.it, Fingerprint: x.it.Fingerprint()}
		if len(x.topics) > 0 {
			sv.Alert = alertFor(x.it, x.topics...)
		}
		ids[x.it.ID] = mustSave(t, s, sv)
	}
	return ids
}

func TestSearchHostileInput(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		seedSearch(t, s, clock)
		ctx := context.Background()
		hostile := []string{
			`"unbalanced`, `AND OR`, `*`, `col:foo`, `NEAR(`, `NEAR(new ip, 2)`, `title:new`, `{title summary}: ip`,
			`-ip`, `^new`, `"`, `""`, `"" ""`, `'`, `(`, `)`, `new AND`, `NOT ip`, `ip OR`, "\x00", "\uE000", "\uE001new",
			`"new" + "ip"`, `new*ip`, `**`, `ip"*`, "😀", "\u0301", "ǅ", strings.Repeat("(", 2000), strings.Repeat("a ", 5000),
			`rank MATCH 'x'`, `'; DROP TABLE items; --`, `items_fts`, "\\", `%_`,
		}
		for _, q := range hostile {
			if _, err := s.Search(ctx, q, 10); err != nil {
				t.Errorf("Search(%q) error: %v", q, err)
			}
		}
		// The database is intact afterwards.
		if hits, err := s.Search(ctx, "successor", 10); err != nil || len(hits) != 1 {
			t.Errorf("search after hostile input: %d hits, %v", len(hits), err)
		}
	})
}

func hitIDs(hits []model.SearchHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Item.ID)
	}
	return out
}

// Both drivers must give these answers exactly, order included: neither
// stems words (Postgres's 'simple' configuration, FTS5's unicode61), both
// rank by the same tiers and then by date and id (no ts_rank or bm25
// score to break ties differently), and Postgres's index folds and splits
// words as FTS5 does (migration 0014). Nothing here legitimately differs.
func TestSearch(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ids := seedSearch(t, s, clock)
		ctx := context.Background()
		tests := []struct {
			query string
			want  []string
		}{
			{"successor", []string{"newip"}},
			{"SUCCESSOR", []string{"newip"}},
			{"successor*", []string{"newip"}},
			{`"new ip"`, []string{"camera", "newip"}},   // twice in the camera item
			{"new ip itu", []string{"newip", "camera"}}, // both have all three words
			{`"New IP" successor`, []string{"newip"}},   // words are ANDed
			{"C20/51-E", []string{"c20-51"}},            // a document number as one phrase
			{"resolution 102", []string{"c20-51"}},      // content only
			{"patent", []string{"newer", "older"}},      // equal relevance: newer first
			{"sovereignty", []string{"hostile"}},        // stored marker characters are not indexed
			{"private", []string{"hostile"}},            // ...and do not split words
			{"nothing-like-this", nil},
			{"", nil},
		}
		for _, tt := range tests {
			hits, err := s.Search(ctx, tt.query, 10)
			if err != nil {
				t.Fatalf("Search(%q): %v", tt.query, err)
			}
			if got := hitIDs(hits); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Search(%q) = %v, want %v", tt.query, got, tt.want)
			}
		}

		// A title hit outranks a content hit.
		hits, _ := s.Search(ctx, "camera", 10)
		if len(hits) != 1 || hits[0].Item.ID != "camera" {
			t.Fatalf("Search(camera) = %v", hitIDs(hits))
		}

		// Alert id and topics of the latest alert come with the hit.
		hits, _ = s.Search(ctx, "successor", 10)
		if hits[0].AlertID != ids["newip"] || !reflect.DeepEqual(hits[0].Topics, []string{"new-ip", "mandate-creep"}) {
			t.Errorf("hit alert %d topics %v, want %d [new-ip mandate-creep]", hits[0].AlertID, hits[0].Topics, ids["newip"])
		}
		if hits, _ := s.Search(ctx, "patent", 10); hits[0].AlertID != 0 || hits[0].Topics != nil {
			t.Errorf("quiet item hit has alert %d topics %v", hits[0].AlertID, hits[0].Topics)
		}
	})
}

func TestSearchSnippets(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		seedSearch(t, s, clock)
		ctx := context.Background()
		tests := []struct {
			query     string
			wantField string
			wantHits  []string
		}{
			{"redesign", "summary", []string{"redesign"}},
			{"resolution", "content", []string{"Resolution"}},
			{"TSAG", "title", []string{"TSAG"}},
			{"sovereignty", "content", []string{"sovereignty"}},
			{`"new ip" vendor`, "content", []string{"vendor", "new IP"}},
		}
		for _, tt := range tests {
			hits, err := s.Search(ctx, tt.query, 1)
			if err != nil || len(hits) != 1 {
				t.Fatalf("Search(%q) = %d hits, %v", tt.query, len(hits), err)
			}
			sn := hits[0].Snippet
			var got []string
			for _, p := range sn.Parts {
				if strings.ContainsAny(p.Text, hitOpen+hitClose) {
					t.Errorf("Search(%q) snippet part %q keeps a marker character", tt.query, p.Text)
				}
				if p.Hit {
					got = append(got, p.Text)
				}
			}
			if sn.Field != tt.wantField || !reflect.DeepEqual(got, tt.wantHits) {
				t.Errorf("Search(%q) snippet %s %q: field %s hits %q, want %s %q",
					tt.query, sn.Field, sn.Plain("[", "]"), sn.Field, got, tt.wantField, tt.wantHits)
			}
		}
	})
}

func TestSnippetParts(t *testing.T) {
	tests := []struct {
		in   string
		want []model.SnippetPart
	}{
		{"plain", []model.SnippetPart{{Text: "plain"}}},
		{"a " + hitOpen + "b" + hitClose + " c", []model.SnippetPart{{Text: "a "}, {Text: "b", Hit: true}, {Text: " c"}}},
		{hitOpen + "x" + hitClose + hitOpen + "y" + hitClose, []model.SnippetPart{{Text: "xy", Hit: true}}},
		{"a" + hitClose + "b", []model.SnippetPart{{Text: "ab"}}},
		{"a" + hitOpen + "b", []model.SnippetPart{{Text: "a"}, {Text: "b", Hit: true}}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := snippetParts(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("snippetParts(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestSearchLimit(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		// More matches than a search ranks: a limit past that gets them all
		// (the web view filters among them), and no more.
		n := searchCandidates + 20
		saves := make([]model.ItemSave, n)
		for i := range saves {
			saves[i] = model.ItemSave{Item: item("s", fmt.Sprint(i), "spectrum auction")}
		}
		for i, err := range s.SaveItems(context.Background(), saves) {
			if err != nil {
				t.Fatalf("save %d: %v", i, err)
			}
		}
		ctx := context.Background()
		for _, tt := range []struct{ limit, want int }{{5, 5}, {0, 10}, {maxList, maxList}, {searchCandidates, searchCandidates}, {10000, searchCandidates}} {
			if hits, _ := s.Search(ctx, "spectrum", tt.limit); len(hits) != tt.want {
				t.Errorf("Search limit %d gave %d hits, want %d", tt.limit, len(hits), tt.want)
			}
		}
	})
}

// ftsIntegrity asks FTS5 to compare its index with the items' text; an
// external-content index that was told to delete text it never indexed (or
// kept text an item no longer has) fails it.
func ftsIntegrity(t *testing.T, s *Store) {
	t.Helper()
	if s.pg {
		// The Postgres index is a generated column of the item's row: it
		// cannot hold other text than the row's.
		return
	}
	s.group.awaitCaughtUp(context.Background(), 0)
	if _, err := s.w.Exec(`INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("search index does not match the stored items: %v", err)
	}
	var pending int
	if err := s.r.QueryRow(`SELECT count(*) FROM items_fts_pending`).Scan(&pending); err != nil || pending != 0 {
		t.Fatalf("%d items left waiting for the index after commit (err %v)", pending, err)
	}
}

func searchIDs(t *testing.T, s *Store, q string) []string {
	t.Helper()
	hits, err := s.Search(context.Background(), q, 50)
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	ids := hitIDs(hits)
	slices.Sort(ids)
	return ids
}

func TestSearchIndexFollowsRevisions(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		it := item("itu-docs", "c25-40", "Council document on sovereignty")
		it.Content = "Draft text on the zeppelin procedure."
		mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "1"})
		if got := searchIDs(t, s, "zeppelin"); !reflect.DeepEqual(got, []string{"c25-40"}) {
			t.Fatalf("before the revision: search zeppelin = %v", got)
		}

		it.Content = "Revised text on the dirigible procedure."
		mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "2"})
		if got := searchIDs(t, s, "zeppelin"); got != nil {
			t.Errorf("the old text is still found after the revision: %v", got)
		}
		if got := searchIDs(t, s, "dirigible"); !reflect.DeepEqual(got, []string{"c25-40"}) {
			t.Errorf("the revised text is not found: %v", got)
		}
		// Saving the same text again changes nothing in the index.
		mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "2"})
		ftsIntegrity(t, s)
	})
}

// Items written, revised and failed inside one shared transaction end up
// indexed with exactly their committed text.
func TestSearchIndexUnderGroupCommit(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	save := func(it model.Item, fp string, dests ...string) *writeReq {
		var a *model.Alert
		if len(dests) > 0 {
			a = alertFor(it, "dns")
		}
		return &writeReq{ctx: ctx, err: make(chan error, 1), fn: func(tx *sql.Tx) error {
			rowID, err := upsertItem(ctx, tx, &it, fp, 0, t0)
			if err != nil || a == nil {
				return err
			}
			_, err = insertAlert(ctx, tx, rowID, a, it, t0)
			for _, d := range dests {
				if err == nil {
					_, err = tx.ExecContext(ctx, `INSERT INTO deliveries (alert_id, destination, created_at) VALUES (last_insert_rowid(), ?, 0)`, d)
				}
			}
			return err
		}}
	}
	outcomes := func(batch ...*writeReq) []bool {
		s.group.commit(batch)
		s.group.markBehind() // as the writer's loop does after a commit
		var ok []bool
		for _, r := range batch {
			ok = append(ok, <-r.err == nil)
		}
		return ok
	}

	// One group: an item is written and revised twice before the commit.
	draft := item("src", "a", "draft title alpha")
	final := draft
	final.Title = "final title omega"
	other := item("src", "b", "unrelated bravo")
	if got := outcomes(save(draft, "1"), save(other, "1"), save(final, "2")); !slices.Equal(got, []bool{true, true, true}) {
		t.Fatalf("group outcomes = %v", got)
	}
	ftsIntegrity(t, s)
	if got := searchIDs(t, s, "alpha"); got != nil {
		t.Errorf("text replaced before the commit is searchable: %v", got)
	}
	if got := searchIDs(t, s, "omega"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("search omega = %v, want [a]", got)
	}

	// A group with a failing member is undone and re-run one by one: the
	// others are indexed, the failed one leaves no trace.
	revised := final
	revised.Title = "revised title sigma"
	phantom := item("src", "c", "phantom title")
	if got := outcomes(save(revised, "3"), save(phantom, "1", "console", ""), save(item("src", "d", "delta title"), "1")); !slices.Equal(got, []bool{true, false, true}) {
		t.Fatalf("group outcomes = %v, want [true false true]", got)
	}
	ftsIntegrity(t, s)
	for q, want := range map[string][]string{"omega": nil, "sigma": {"a"}, "phantom": nil, "delta": {"d"}, "bravo": {"b"}, "title": {"a", "d"}} {
		if got := searchIDs(t, s, q); !slices.Equal(got, want) {
			t.Errorf("search %s = %v, want %v", q, got, want)
		}
	}

	// Concurrent callers, readers and revisions of the same items.
	const workers, each = 8, 30
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				it := item("src", fmt.Sprint(i), fmt.Sprintf("item%d by worker %d", i, w))
				if _, err := saveTest(ctx, s, model.ItemSave{Item: it, Fingerprint: fmt.Sprint(w)}); err != nil {
					t.Error(err)
				}
				s.Search(ctx, "worker", 5)
			}
		}()
	}
	wg.Wait()
	ftsIntegrity(t, s)
	if got := searchIDs(t, s, "item7"); !slices.Equal(got, []string{"7"}) {
		t.Errorf("search item7 = %v, want [7]", got)
	}
}

// A database written before migration 0003 indexed items from its triggers;
// after the upgrade its items are still found, and revising one of them
// takes its old text out of the index.
func TestSearchIndexAfterUpgradeFromVersion2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	db := openAtVersion(t, path, 2)
	if _, err := db.Exec(`INSERT INTO items (source_id, item_id, title, content, first_seen, last_seen)
		VALUES ('old', 'x', 'Legacy title', 'walrus text', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open a version-2 database: %v", err)
	}
	defer s.Close()
	if got := searchIDs(t, s, "walrus"); !reflect.DeepEqual(got, []string{"x"}) {
		t.Fatalf("an item indexed before the upgrade is not found: %v", got)
	}
	mustSave(t, s, model.ItemSave{Item: model.Item{SourceID: "old", ID: "x", Title: "Legacy title", Content: "narwhal text"}, Fingerprint: "n"})
	if got := searchIDs(t, s, "walrus"); got != nil {
		t.Errorf("old text still found after a revision: %v", got)
	}
	if got := searchIDs(t, s, "narwhal"); !reflect.DeepEqual(got, []string{"x"}) {
		t.Errorf("new text not found: %v", got)
	}
	ftsIntegrity(t, s)
}

// openAtVersion creates a database with the shipped migrations up to
// version, as an older ituwatch left it.
func openAtVersion(t *testing.T, path string, version int) *sql.DB {
	t.Helper()
	upTo := fstest.MapFS{}
	shipped, err := loadMigrations(sqliteMigrations)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range shipped {
		if m.version <= version {
			upTo[m.name] = &fstest.MapFile{Data: []byte(m.sql)}
		}
	}
	db, err := openCached(path + "?" + dsnParams(false, true))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(context.Background(), db, upTo, false); err != nil {
		t.Fatal(err)
	}
	return db
}

// Before migration 0004 stored text could hold the characters snippets
// mark hits with, and the index stripped them on every read. After the
// upgrade they are gone from the stored text and from the index, and the
// items are found by their words.
func TestSearchIndexAfterUpgradeFromVersion3(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v3.db")
	db := openAtVersion(t, path, 3)
	for _, q := range []string{
		`INSERT INTO items (source_id, item_id, title, summary, first_seen, last_seen)
			VALUES ('old', 'marked', 'Marked ' || char(57344) || 'okapi' || char(57345) || ' title', 'plain summary', 1, 1)`,
		`INSERT INTO items (source_id, item_id, title, content, first_seen, last_seen)
			VALUES ('old', 'pending', 'Pending title', 'pangolin ' || char(57345) || 'text', 2, 2)`,
		`INSERT INTO items (source_id, item_id, title, first_seen, last_seen) VALUES ('old', 'clean', 'Clean gerenuk title', 3, 3)`,
		// The first and the last are indexed, with the markers stripped as
		// version 3 did; the second is still queued.
		`INSERT INTO items_fts (rowid, title, summary, content) SELECT id, title, summary, content FROM items_fts_text WHERE id IN (SELECT id FROM items WHERE item_id <> 'pending')`,
		`DELETE FROM items_fts_pending WHERE id IN (SELECT id FROM items WHERE item_id <> 'pending')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open a version-3 database: %v", err)
	}
	defer s.Close()
	ftsIntegrity(t, s)
	var marked int
	if err := s.r.QueryRow(`SELECT count(*) FROM items WHERE instr(title || summary || content, char(57344)) OR instr(title || summary || content, char(57345))`).Scan(&marked); err != nil || marked != 0 {
		t.Errorf("%d items keep marker characters after the upgrade (err %v)", marked, err)
	}
	for q, want := range map[string]string{"okapi": "marked", "pangolin": "pending", "gerenuk": "clean"} {
		if got := searchIDs(t, s, q); !slices.Equal(got, []string{want}) {
			t.Errorf("search %s = %v, want [%s]", q, got, want)
		}
	}
	// A revision takes the old text out of the index.
	mustSave(t, s, model.ItemSave{Item: model.Item{SourceID: "old", ID: "marked", Title: "Revised title"}, Fingerprint: "r"})
	if got := searchIDs(t, s, "okapi"); got != nil {
		t.Errorf("old text still found after a revision: %v", got)
	}
	ftsIntegrity(t, s)
}

// Items queued for the index by a process that stopped before indexing
// them (a crash, or `ituwatch once` exiting) are indexed by the next one.
func TestSearchIndexQueueSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.AwaitSearchIndex(ctx) // the start-up check is done
	// Written beside the writer, which therefore never indexes it: what a
	// process killed between its commit and its indexing leaves behind.
	if _, err := s.adapter.ExecContext(ctx, `INSERT INTO items (source_id, item_id, title, first_seen, last_seen)
		VALUES ('src', 'left', 'Queued quokka item', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	var queued int
	if err := s.r.QueryRow(`SELECT count(*) FROM items_fts_pending`).Scan(&queued); err != nil || queued != 1 {
		t.Fatalf("%d items queued for the index (err %v), want 1", queued, err)
	}
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := searchIDs(t, s, "quokka"); !slices.Equal(got, []string{"left"}) {
		t.Errorf("after a restart, search quokka = %v, want [left]", got)
	}
	ftsIntegrity(t, s)
}
