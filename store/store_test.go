package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store/pgtest"
)

// fakeClock is a settable clock for the store's timestamps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)

// eachDriver runs fn as two subtests, "sqlite" and "postgres", so that the
// store's contract is checked on both; openTest (and openDriverTest) open
// the driver of the subtest they are called in. The postgres subtest gets a
// fresh schema from pgtest, and is skipped, saying so, without a server.
// Tests of machinery only SQLite has (WAL checkpoints, the group commit,
// FTS5) call openTest outside eachDriver and stay SQLite-only.
func eachDriver(t *testing.T, fn func(t *testing.T)) {
	t.Run(DriverSQLite, fn)
	t.Run(DriverPostgres, fn)
}

// testDriver is the driver of the eachDriver subtest t runs in.
func testDriver(t testing.TB) string {
	if parts := strings.Split(t.Name(), "/"); len(parts) > 1 && parts[1] == DriverPostgres {
		return DriverPostgres
	}
	return DriverSQLite
}

// reopenTarget returns what OpenDriver takes to open the same new, empty
// store of t's driver again and again: a file, or a fresh schema.
func reopenTarget(t testing.TB) (driver, target string) {
	t.Helper()
	if testDriver(t) == DriverPostgres {
		return DriverPostgres, pgtest.DSN(t)
	}
	return DriverSQLite, filepath.Join(t.TempDir(), "ituwatch.db")
}

// openDriverTest opens a new, empty store of t's driver.
func openDriverTest(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	var (
		s   *Store
		err error
	)
	if testDriver(t) == DriverPostgres {
		s, err = OpenDriver(ctx, DriverPostgres, pgtest.DSN(t))
	} else {
		s, err = Open(ctx, filepath.Join(t.TempDir(), "ituwatch.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// searchable reports whether Search works on s's driver: on both, since
// store/search_pg.go.
func searchable(*Store) bool { return true }

func openTest(t testing.TB) (*Store, *fakeClock) {
	t.Helper()
	s := openDriverTest(t)
	t.Cleanup(func() { s.Close() })
	clock := &fakeClock{t: t0}
	s.now = clock.Now
	return s, clock
}

func item(source, id, title string) model.Item {
	return model.Item{SourceID: source, ID: id, Title: title, Link: "https://example.org/" + id}
}

func alertFor(it model.Item, topics ...string) *model.Alert {
	a := &model.Alert{Kind: model.AlertNew, Item: it}
	for i, tp := range topics {
		a.Matches = append(a.Matches, model.Match{
			Topic: tp, TopicName: strings.ToUpper(tp), Severity: model.SeverityHigh - model.Severity(i%2),
			Score: 2.5 + float64(i), Annotation: "why " + tp,
			Hits:     []model.Hit{{Term: "new ip", Text: "New IP", Field: "title", Start: 0, End: 6}},
			Snippets: []model.Snippet{{Field: "title", Parts: []model.SnippetPart{{Text: "New IP", Hit: true}, {Text: " at TSAG"}}}},
		})
	}
	return a
}

// saveTest saves one item with SaveItems and returns its alert's id (0 if
// none).
func saveTest(ctx context.Context, s *Store, sv model.ItemSave) (int64, error) {
	if err := s.SaveItems(ctx, []model.ItemSave{sv})[0]; err != nil {
		return 0, err
	}
	if sv.Alert == nil {
		return 0, nil
	}
	return sv.Alert.ID, nil
}

func mustSave(t testing.TB, s *Store, sv model.ItemSave) int64 {
	t.Helper()
	id, err := saveTest(context.Background(), s, sv)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func tableNames(t *testing.T, s *Store) map[string]bool {
	t.Helper()
	rows, err := s.r.Query(`SELECT name FROM sqlite_master WHERE type IN ('table', 'view')`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := scanStrings(rows)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

func appliedVersions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.r.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestOpenMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	shipped, err := loadMigrations(sqliteMigrations)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	next := fstest.MapFS{}
	for _, m := range shipped {
		versions = append(versions, m.version)
		next[m.name] = &fstest.MapFile{Data: []byte(m.sql)}
	}
	last := versions[len(versions)-1]

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"items", "items_fts", "alerts", "alert_matches", "deliveries", "source_state", "subscriptions", "kv", "schema_migrations"} {
		if !tableNames(t, s)[want] {
			t.Errorf("fresh database lacks table %s", want)
		}
	}
	if got := appliedVersions(t, s); !reflect.DeepEqual(got, versions) {
		t.Errorf("fresh database migrations = %v, want %v", got, versions)
	}
	var mode string
	if err := s.w.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := s.r.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("reader foreign_keys = %d, %v; want 1", fk, err)
	}
	s.Close()

	// Re-opening applies nothing twice.
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("re-open: %v", err)
	}
	if got := appliedVersions(t, s); !reflect.DeepEqual(got, versions) {
		t.Errorf("re-opened database migrations = %v, want %v", got, versions)
	}

	// A newer binary's migration is applied alone; the old ones are not re-run
	// (re-running 0001 would fail on its CREATE TABLEs).
	extra := fmt.Sprintf("%04d_extra.sql", last+1)
	next[extra] = &fstest.MapFile{Data: []byte(`CREATE TABLE extra (x INTEGER); CREATE INDEX extra_x ON extra (x);`)}
	if err := migrate(ctx, s.w, next, false); err != nil {
		t.Fatalf("migrate to %d: %v", last+1, err)
	}
	if got := appliedVersions(t, s); !reflect.DeepEqual(got, append(slices.Clone(versions), last+1)) {
		t.Errorf("after %s migrations = %v", extra, got)
	}
	if !tableNames(t, s)["extra"] {
		t.Errorf("migration %s did not create its table", extra)
	}
	// A failing migration leaves neither its changes nor its version.
	brokenName := fmt.Sprintf("%04d_broken.sql", last+2)
	broken := fstest.MapFS{
		brokenName: &fstest.MapFile{Data: []byte(`CREATE TABLE half (x INTEGER); THIS IS NOT SQL;`)},
	}
	for k, v := range next {
		broken[k] = v
	}
	if err := migrate(ctx, s.w, broken, false); err == nil || !strings.Contains(err.Error(), brokenName) {
		t.Errorf("broken migration error = %v, want one naming the file", err)
	}
	if tableNames(t, s)["half"] {
		t.Error("a failed migration left its table behind")
	}
	s.Close()

	// The database is now newer than the binary's embedded migrations.
	_, err = Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "newer ituwatch") {
		t.Errorf("opening a newer database: err = %v, want a 'newer ituwatch' error", err)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := embeddedMigrations.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
	}{
		{"no number", fstest.MapFS{"init.sql": {}}},
		{"zero", fstest.MapFS{"0000_init.sql": {}}},
		{"duplicate", fstest.MapFS{"0001_a.sql": {}, "01_b.sql": {}}},
	}
	for _, tt := range tests {
		if _, err := loadMigrations(tt.fsys); err == nil {
			t.Errorf("%s: loadMigrations succeeded, want an error", tt.name)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, path := range []string{"", "a?b.db", filepath.Join(t.TempDir(), "missing", "dir", "x.db")} {
		if s, err := Open(ctx, path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}

func TestOpenMemory(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	it := item("itu-news", "m1", "Memory test")
	if _, err := saveTest(ctx, s, model.ItemSave{Item: it, Fingerprint: "f", Alert: alertFor(it, "new-ip"), Destinations: []string{"console"}}); err != nil {
		t.Fatal(err)
	}
	// Every query must see the one in-memory database, even from inside
	// EachItem's callback.
	err = s.EachItem(ctx, time.Time{}, func(model.Item) error {
		got, err := s.RecentAlerts(ctx, "", 5)
		if err != nil || len(got) != 1 {
			return fmt.Errorf("recent alerts inside EachItem: %d, %v", len(got), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := priorItem(ctx, s, "itu-news", "m1"); err != nil || p == nil {
		t.Errorf("model.PriorItem in memory = %v, %v", p, err)
	}
}

func TestSaveItemNewAlertAndDeliveries(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		it := item("itu-news", "n1", "TSAG debates New IP")
		a := alertFor(it, "new-ip", "mandate-creep")
		dests := []string{"console", "slack:C0123", "matrix:!room:example.org"}

		id, err := saveTest(ctx, s, model.ItemSave{Item: it, Fingerprint: "fp1", Alert: a, Destinations: dests})
		if err != nil {
			t.Fatal(err)
		}
		if id == 0 {
			t.Errorf("SaveItems set Alert.ID %d, want a non-zero id", id)
		}
		if !a.CreatedAt.Equal(clock.Now()) {
			t.Errorf("Alert.CreatedAt = %v, want the store clock %v", a.CreatedAt, clock.Now())
		}
		got, err := s.Alert(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, *a) {
			t.Errorf("Alert(%d) round trip:\n got %+v\nwant %+v", id, got, *a)
		}
		due, err := s.DueDeliveries(ctx, clock.Now(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != len(dests) {
			t.Fatalf("%d due deliveries, want %d", len(due), len(dests))
		}
		for i, d := range due {
			want := model.Delivery{ID: d.ID, AlertID: id, Destination: dests[i], Status: model.DeliveryPending,
				NextAttempt: clock.Now(), CreatedAt: clock.Now()}
			if !reflect.DeepEqual(d, want) {
				t.Errorf("delivery %d = %+v, want %+v", i, d, want)
			}
		}
		prior, err := priorItem(ctx, s, it.SourceID, it.ID)
		if err != nil || prior == nil {
			t.Fatalf("model.PriorItem = %v, %v", prior, err)
		}
		if prior.FirstAlertID != id || prior.LastAlertID != id || prior.Fingerprint != "fp1" {
			t.Errorf("model.PriorItem alerts %d/%d fingerprint %q, want %d/%d fp1", prior.FirstAlertID, prior.LastAlertID, prior.Fingerprint, id, id)
		}

		// An item without an alert is stored silently.
		quiet := item("itu-news", "q1", "Quiet patent news")
		if id, err := saveTest(ctx, s, model.ItemSave{Item: quiet, Fingerprint: "fq"}); err != nil || id != 0 {
			t.Errorf("save without alert = %d, %v; want 0, nil", id, err)
		}
		if p, _ := priorItem(ctx, s, "itu-news", "q1"); p == nil || p.FirstAlertID != 0 {
			t.Errorf("quiet item prior = %+v, want stored with no alert", p)
		}
	})
}

func TestSaveItemFailureLeavesNothing(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		cancelled, cancel := context.WithCancel(context.Background())
		cancel()
		tests := []struct {
			name   string
			ctx    context.Context
			dests  []string
			parent int64
		}{
			{"empty destination", context.Background(), []string{"console", ""}, 0},
			{"duplicate destination", context.Background(), []string{"slack:C1", "slack:C1"}, 0},
			{"missing parent alert", context.Background(), []string{"console"}, 999},
			{"cancelled context", cancelled, []string{"console"}, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, clock := openTest(t)
				ctx := context.Background()
				// A prior version exists; a failed update must not touch it.
				prev := item("src", "doc", "Council document")
				mustSave(t, s, model.ItemSave{Item: prev, Fingerprint: "old"})

				it := prev
				it.Title = "Council document (Rev.1)"
				a := alertFor(it, "mandate-creep")
				a.ParentID = tt.parent
				_, err := saveTest(tt.ctx, s, model.ItemSave{Item: it, Fingerprint: "new", Alert: a, Destinations: tt.dests})
				if err == nil {
					t.Fatal("save succeeded, want an error")
				}
				if !strings.Contains(err.Error(), "save item src/doc") {
					t.Errorf("error %q does not say what was being saved", err)
				}
				if a.ID != 0 {
					t.Errorf("failed save set Alert.ID = %d", a.ID)
				}
				p, err := priorItem(ctx, s, "src", "doc")
				if err != nil || p == nil {
					t.Fatalf("model.PriorItem = %v, %v", p, err)
				}
				if p.Fingerprint != "old" || p.Item.Title != prev.Title || p.FirstAlertID != 0 {
					t.Errorf("prior item changed by a failed save: %+v", p)
				}
				if alerts, _ := s.RecentAlerts(ctx, "", 10); len(alerts) != 0 {
					t.Errorf("failed save left %d alerts", len(alerts))
				}
				if due, _ := s.DueDeliveries(ctx, clock.Now().Add(time.Hour), 10); len(due) != 0 {
					t.Errorf("failed save left %d deliveries", len(due))
				}
				if hits, _ := s.Search(ctx, "Rev", 10); len(hits) != 0 {
					t.Errorf("failed save left the new title in the search index")
				}
			})
		}
	})
}

func TestPriorItemRoundTrip(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		geneva := time.FixedZone("CET", 3600)
		tests := []struct {
			name string
			item model.Item
		}{
			{"minimal", model.Item{SourceID: "s", ID: "1", Title: "t"}},
			{"full", model.Item{
				SourceID: "itu-docs", ID: "C20/51", Title: "Resolution 102 report", Link: "https://example.org/c20-51",
				Published: time.Date(2020, 2, 3, 10, 0, 0, 999, geneva), Updated: time.Date(2020, 2, 4, 11, 0, 0, 0, time.UTC),
				Summary: "summary ünïcode", Content: "content with \"quotes\" and \x00 nul",
				Authors: []string{"Secretary-General"}, Categories: []string{"Council", "CWG-Internet"},
				Document: &model.DocumentRef{Number: "C20/51", Series: "C", Meeting: "20", Seq: "51", Revision: "Rev.1",
					Addendum: "Add.2", Languages: []string{"en", "fr"}, Submitter: "Member State",
					Proposers: []string{"Russian Federation", "RCC"}},
			}},
			{"far dates", model.Item{SourceID: "s", ID: "far", Title: "t", Published: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, clock := openTest(t)
				ctx := context.Background()
				if p, err := priorItem(ctx, s, tt.item.SourceID, tt.item.ID); p != nil || err != nil {
					t.Fatalf("model.PriorItem before save = %v, %v; want nil, nil", p, err)
				}
				mustSave(t, s, model.ItemSave{Item: tt.item, Fingerprint: tt.item.Fingerprint()})
				firstSeen := clock.Now()
				clock.Set(firstSeen.Add(time.Hour))
				mustSave(t, s, model.ItemSave{Item: tt.item, Fingerprint: tt.item.Fingerprint()})

				p, err := priorItem(ctx, s, tt.item.SourceID, tt.item.ID)
				if err != nil || p == nil {
					t.Fatalf("model.PriorItem = %v, %v", p, err)
				}
				want := tt.item
				// NUL characters are not stored (see storableText).
				want.Content = strings.ReplaceAll(want.Content, "\x00", "")
				want.Published = utc(want.Published)
				want.Updated = utc(want.Updated)
				if !reflect.DeepEqual(p.Item, want) {
					t.Errorf("item round trip:\n got %+v\nwant %+v", p.Item, want)
				}
				if p.Fingerprint != tt.item.Fingerprint() || !p.FirstSeen.Equal(firstSeen) {
					t.Errorf("fingerprint %q first seen %v, want %q %v", p.Fingerprint, p.FirstSeen, tt.item.Fingerprint(), firstSeen)
				}
			})
		}
	})
}

func TestUpdateAlertLinkedByParent(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		v1 := item("itu-news", "story", "New IP at TSAG")
		first := mustSave(t, s, model.ItemSave{Item: v1, Fingerprint: "1", Alert: alertFor(v1, "new-ip"), Destinations: []string{"console"}})

		clock.Set(t0.Add(time.Hour))
		v2 := v1
		v2.Title = "New IP at TSAG (updated)"
		upd := alertFor(v2, "new-ip")
		upd.Kind, upd.ParentID, upd.Change = model.AlertUpdate, first, "title changed"
		second := mustSave(t, s, model.ItemSave{Item: v2, Fingerprint: "2", Alert: upd, Destinations: []string{"console"}})

		p, err := priorItem(ctx, s, "itu-news", "story")
		if err != nil {
			t.Fatal(err)
		}
		if p.FirstAlertID != first || p.LastAlertID != second || p.Item.Title != v2.Title || !p.FirstSeen.Equal(t0) {
			t.Errorf("prior = first %d last %d title %q seen %v; want %d %d %q %v", p.FirstAlertID, p.LastAlertID, p.Item.Title, p.FirstSeen, first, second, v2.Title, t0)
		}
		got, err := s.Alert(ctx, second)
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != model.AlertUpdate || got.ParentID != first || got.Change != "title changed" {
			t.Errorf("update alert = kind %q parent %d change %q", got.Kind, got.ParentID, got.Change)
		}
		// The first alert still shows what its readers saw.
		orig, err := s.Alert(ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		if orig.Item.Title != v1.Title {
			t.Errorf("first alert title = %q, want the original %q", orig.Item.Title, v1.Title)
		}
		if _, err := s.Alert(ctx, 12345); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("Alert(missing) error = %v, want model.ErrNotFound", err)
		}
	})
}

func TestOutboxLifecycle(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()

		if _, ok, err := s.NextDue(ctx); ok || err != nil {
			t.Errorf("NextDue on an empty outbox = %v, %v; want false", ok, err)
		}
		a1 := mustSave(t, s, model.ItemSave{Item: item("s", "1", "one"), Alert: alertFor(item("s", "1", "one"), "ott"), Destinations: []string{"slack:C1", "matrix:!r:example.org"}})
		clock.Set(t0.Add(time.Minute))
		a2 := mustSave(t, s, model.ItemSave{Item: item("s", "2", "two"), Alert: alertFor(item("s", "2", "two"), "ott"), Destinations: []string{"slack:C1"}})

		due, err := s.DueDeliveries(ctx, t0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 2 || due[0].AlertID != a1 || due[1].AlertID != a1 || due[0].ID >= due[1].ID {
			t.Fatalf("due at t0 = %+v, want the two deliveries of alert %d in id order", due, a1)
		}
		if next, ok, _ := s.NextDue(ctx); !ok || !next.Equal(t0) {
			t.Errorf("NextDue = %v %v, want %v", next, ok, t0)
		}
		slack1, matrix1 := due[0], due[1]

		// Slack is rate limited: retry in 30 s.
		retryAt := t0.Add(90 * time.Second)
		if err := s.MarkRetry(ctx, slack1.ID, retryAt, "rate limited"); err != nil {
			t.Fatal(err)
		}
		// Matrix refuses for good.
		if err := s.MarkFailed(ctx, matrix1.ID, "bot not invited to the room"); err != nil {
			t.Fatal(err)
		}
		due, _ = s.DueDeliveries(ctx, t0.Add(time.Minute), 10)
		if len(due) != 1 || due[0].AlertID != a2 {
			t.Fatalf("due at t0+1m = %+v, want only alert %d's delivery", due, a2)
		}
		if next, ok, _ := s.NextDue(ctx); !ok || !next.Equal(t0.Add(time.Minute)) {
			t.Errorf("NextDue = %v, want t0+1m", next)
		}
		due, _ = s.DueDeliveries(ctx, retryAt, 10)
		if len(due) != 2 || due[0].ID != slack1.ID || due[0].Attempts != 1 || due[0].LastError != "rate limited" || !due[0].NextAttempt.Equal(retryAt) {
			t.Fatalf("due at retry time = %+v, want the retried slack delivery first with 1 attempt", due)
		}
		if due, _ := s.DueDeliveries(ctx, retryAt, 1); len(due) != 1 {
			t.Errorf("limit 1 gave %d deliveries", len(due))
		}

		statuses, err := s.DestinationStatuses(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []model.DestinationStatus{
			{Destination: "matrix:!r:example.org", Failed: 1, LastError: "bot not invited to the room"},
			{Destination: "slack:C1", Pending: 2, OldestPending: t0, LastError: "rate limited"},
		}
		if !reflect.DeepEqual(statuses, want) {
			t.Errorf("statuses =\n %+v\nwant\n %+v", statuses, want)
		}

		// No thread until delivered.
		if th, err := s.ThreadID(ctx, a1, "slack:C1"); th != "" || err != nil {
			t.Errorf("ThreadID before delivery = %q, %v", th, err)
		}
		deliveredAt := t0.Add(2 * time.Minute)
		if err := s.MarkDelivered(ctx, slack1.ID, "1700000000.000100", deliveredAt); err != nil {
			t.Fatal(err)
		}
		if th, err := s.ThreadID(ctx, a1, "slack:C1"); th != "1700000000.000100" || err != nil {
			t.Errorf("ThreadID = %q, %v; want the slack ts", th, err)
		}
		if th, _ := s.ThreadID(ctx, a1, "matrix:!r:example.org"); th != "" {
			t.Errorf("ThreadID of a failed delivery = %q, want empty", th)
		}
		// A delivered or failed delivery cannot be retried or failed again.
		if err := s.MarkRetry(ctx, slack1.ID, retryAt, "x"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("MarkRetry of a delivered delivery = %v, want model.ErrNotFound", err)
		}
		if err := s.MarkFailed(ctx, matrix1.ID, "x"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("MarkFailed twice = %v, want model.ErrNotFound", err)
		}
		if err := s.MarkDelivered(ctx, 9999, "x", deliveredAt); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("MarkDelivered(missing) = %v, want model.ErrNotFound", err)
		}

		statuses, _ = s.DestinationStatuses(ctx)
		wantSlack := model.DestinationStatus{Destination: "slack:C1", Pending: 1, OldestPending: t0.Add(time.Minute), LastDelivered: deliveredAt}
		if len(statuses) != 2 || !reflect.DeepEqual(statuses[1], wantSlack) {
			t.Errorf("slack status after delivery = %+v, want %+v", statuses[1], wantSlack)
		}
		due, _ = s.DueDeliveries(ctx, deliveredAt, 10)
		if len(due) != 1 || due[0].AlertID != a2 {
			t.Errorf("due after delivery = %+v, want only alert %d's", due, a2)
		}
	})
}

func TestRecentAlertsByTopic(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		topics := [][]string{{"new-ip"}, {"ott"}, {"new-ip", "ott"}, {"dns-naming"}, {"new-ip"}}
		var ids []int64
		for i, tp := range topics {
			clock.Set(t0.Add(time.Duration(i) * time.Minute))
			it := item("s", fmt.Sprint(i), fmt.Sprint("item ", i))
			ids = append(ids, mustSave(t, s, model.ItemSave{Item: it, Alert: alertFor(it, tp...)}))
		}
		tests := []struct {
			topic string
			limit int
			want  []int64
		}{
			{"", 10, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
			{"", 2, []int64{ids[4], ids[3]}},
			{"new-ip", 10, []int64{ids[4], ids[2], ids[0]}},
			{"ott", 10, []int64{ids[2], ids[1]}},
			{"ott", 1, []int64{ids[2]}},
			{"surveillance", 10, nil},
			{"new-ip", 0, []int64{ids[4], ids[2], ids[0]}},
		}
		for _, tt := range tests {
			got, err := s.RecentAlerts(ctx, tt.topic, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []int64
			for _, a := range got {
				gotIDs = append(gotIDs, a.ID)
				if len(a.Matches) == 0 || a.Item.Title == "" {
					t.Errorf("alert %d came back without matches or item", a.ID)
				}
			}
			if !reflect.DeepEqual(gotIDs, tt.want) {
				t.Errorf("RecentAlerts(%q, %d) = %v, want %v", tt.topic, tt.limit, gotIDs, tt.want)
			}
		}
		// The limit is capped.
		for i := range 60 {
			it := item("bulk", fmt.Sprint(i), "bulk")
			mustSave(t, s, model.ItemSave{Item: it, Alert: alertFor(it, "ott")})
		}
		if got, _ := s.RecentAlerts(ctx, "", 1000); len(got) != maxList {
			t.Errorf("RecentAlerts(limit 1000) returned %d, want the cap %d", len(got), maxList)
		}
	})
}

func TestTopicCounts(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		// Alerts 0, 10, 20 and 30 days after t0.
		topics := [][]string{{"new-ip"}, {"new-ip", "ott"}, {"ott"}, {"new-ip"}}
		for i, tp := range topics {
			clock.Set(t0.AddDate(0, 0, 10*i))
			it := item("s", fmt.Sprint(i), "x")
			mustSave(t, s, model.ItemSave{Item: it, Alert: alertFor(it, tp...)})
		}
		tests := []struct {
			since time.Time
			want  map[string]int
		}{
			{time.Time{}, map[string]int{"new-ip": 3, "ott": 2}},
			{t0, map[string]int{"new-ip": 3, "ott": 2}},
			{t0.Add(time.Nanosecond), map[string]int{"new-ip": 2, "ott": 2}},
			{t0.AddDate(0, 0, 15), map[string]int{"new-ip": 1, "ott": 1}},
			{t0.AddDate(0, 0, 30), map[string]int{"new-ip": 1}},
			{t0.AddDate(0, 0, 31), map[string]int{}},
		}
		for _, tt := range tests {
			got, err := s.TopicCounts(ctx, tt.since)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("TopicCounts(%v) = %v, want %v", tt.since, got, tt.want)
			}
		}
	})
}

func TestSubscriptions(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		steps := []struct {
			op, dest, topic string
			want            bool
		}{
			{"sub", "slack:C1", "new-ip", true},
			{"sub", "slack:C1", "new-ip", false},
			{"sub", "slack:C1", "ott", true},
			{"sub", "matrix:!r:example.org", "*", true},
			{"sub", "slack:C2", "ott", true},
			{"unsub", "slack:C2", "ott", true},
			{"unsub", "slack:C2", "ott", false},
		}
		for _, st := range steps {
			var got bool
			var err error
			if st.op == "sub" {
				got, err = s.Subscribe(ctx, st.dest, st.topic)
			} else {
				got, err = s.Unsubscribe(ctx, st.dest, st.topic)
			}
			if err != nil || got != st.want {
				t.Errorf("%s %s %s = %v, %v; want %v", st.op, st.dest, st.topic, got, err, st.want)
			}
		}
		if got, _ := s.Subscriptions(ctx, "slack:C1"); !reflect.DeepEqual(got, []string{"new-ip", "ott"}) {
			t.Errorf("Subscriptions(slack:C1) = %v", got)
		}
		if got, _ := s.Subscriptions(ctx, "slack:C2"); len(got) != 0 {
			t.Errorf("Subscriptions(slack:C2) = %v, want none", got)
		}
		if got, _ := s.Subscribers(ctx, "ott"); !reflect.DeepEqual(got, []string{"matrix:!r:example.org", "slack:C1"}) {
			t.Errorf("Subscribers(ott) = %v", got)
		}
		if got, _ := s.Subscribers(ctx, "surveillance"); !reflect.DeepEqual(got, []string{"matrix:!r:example.org"}) {
			t.Errorf("Subscribers(surveillance) = %v, want the * subscriber", got)
		}
		if _, err := s.Subscribe(ctx, "", "ott"); err == nil {
			t.Error("Subscribe with no destination succeeded")
		}
	})
}

func TestState(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		if _, ok, err := s.GetState(ctx, "matrix.next_batch"); ok || err != nil {
			t.Errorf("GetState(unset) = %v, %v", ok, err)
		}
		for _, v := range []string{"s1_2_3", "", "s9"} {
			if err := s.SetState(ctx, "matrix.next_batch", v); err != nil {
				t.Fatal(err)
			}
			if got, ok, err := s.GetState(ctx, "matrix.next_batch"); got != v || !ok || err != nil {
				t.Errorf("GetState after SetState(%q) = %q, %v, %v", v, got, ok, err)
			}
		}
	})
}

func TestSourceState(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		if st, err := s.SourceState(ctx, "itu-news"); err != nil || !reflect.DeepEqual(st, model.SourceState{SourceID: "itu-news"}) {
			t.Errorf("SourceState(unknown) = %+v, %v", st, err)
		}
		full := model.SourceState{
			SourceID: "itu-news", ETag: `W/"abc"`, LastModified: "Mon, 02 Mar 2026 09:00:00 GMT", BodyHash: "h",
			LastPoll: t0, LastSuccess: t0.Add(-time.Hour), LastError: "HTTP 503", ConsecutiveFailures: 2,
			NextPoll: t0.Add(10 * time.Minute), Retired: true, ItemsSeen: 42, PageText: "page text",
		}
		other := model.SourceState{SourceID: "cdt", ItemsSeen: 1}
		for _, st := range []model.SourceState{full, other} {
			if err := s.SaveSourceState(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := s.SourceState(ctx, "itu-news"); !reflect.DeepEqual(got, full) {
			t.Errorf("SourceState round trip:\n got %+v\nwant %+v", got, full)
		}
		// Saving again replaces, including clearing fields.
		cleared := model.SourceState{SourceID: "itu-news", LastPoll: t0.Add(time.Hour)}
		if err := s.SaveSourceState(ctx, cleared); err != nil {
			t.Fatal(err)
		}
		all, err := s.SourceStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(all, []model.SourceState{other, cleared}) {
			t.Errorf("SourceStates = %+v", all)
		}
		if err := s.SaveSourceState(ctx, model.SourceState{}); err == nil {
			t.Error("SaveSourceState without id succeeded")
		}
	})
}

func TestEachItem(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		const n = 1203 // more than two pages
		tx, err := s.w.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			it := item("s", fmt.Sprint(i), "x")
			if _, err := upsertItem(ctx, tx, &it, "", 0, t0.Add(time.Duration(i/2)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			since time.Time
			want  int
		}{
			{time.Time{}, n},
			{t0, n},
			{t0.Add(300 * time.Second), n - 600},
			{t0.Add(time.Hour), 0},
		}
		for _, tt := range tests {
			seen := map[string]bool{}
			err := s.EachItem(ctx, tt.since, func(it model.Item) error {
				if seen[it.ID] {
					t.Fatalf("item %s visited twice", it.ID)
				}
				seen[it.ID] = true
				// The callback may write to the store.
				return s.SetState(ctx, "last", it.ID)
			})
			if err != nil || len(seen) != tt.want {
				t.Errorf("EachItem(since %v) visited %d, %v; want %d", tt.since, len(seen), err, tt.want)
			}
		}
		stop := errors.New("stop")
		count := 0
		if err := s.EachItem(ctx, time.Time{}, func(model.Item) error { count++; return stop }); !errors.Is(err, stop) || count != 1 {
			t.Errorf("EachItem did not stop at the callback's error: %v after %d", err, count)
		}
		_ = clock
	})
}

func TestConcurrentSaveItem(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		const workers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers*each*2)
		for w := range workers {
			wg.Add(2)
			go func() {
				defer wg.Done()
				for i := range each {
					it := item(fmt.Sprint("src", w), fmt.Sprint(i), fmt.Sprintf("New IP item %d of worker %d", i, w))
					if _, err := saveTest(ctx, s, model.ItemSave{Item: it, Fingerprint: "f", Alert: alertFor(it, "new-ip"), Destinations: []string{"console", "slack:C1"}}); err != nil {
						errs <- err
					}
				}
			}()
			// Readers alongside the writers.
			go func() {
				defer wg.Done()
				for range each {
					if _, err := s.RecentAlerts(ctx, "new-ip", 5); err != nil {
						errs <- err
					}
					if _, err := s.Search(ctx, "worker", 5); err != nil && searchable(s) {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent use: %v", err)
		}
		due, err := s.DueDeliveries(ctx, clock.Now(), 1000)
		if err != nil || len(due) != workers*each*2 {
			t.Errorf("%d deliveries queued (err %v), want %d", len(due), err, workers*each*2)
		}
		counts, _ := s.TopicCounts(ctx, time.Time{})
		if counts["new-ip"] != workers*each {
			t.Errorf("%d new-ip alerts, want %d", counts["new-ip"], workers*each)
		}
	})
}

func TestSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keep.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	it := item("itu-news", "keep", "CWG-Internet consultation on Resolution 102")
	a := alertFor(it, "mandate-creep")
	id := mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "k", Alert: a, Destinations: []string{"console"}})
	if _, err := s.Subscribe(ctx, "slack:C1", "ott"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetState(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Alert(ctx, id)
	if err != nil || !reflect.DeepEqual(got, *a) {
		t.Errorf("alert after reopen = %+v, %v; want %+v", got, err, *a)
	}
	if hits, err := s.Search(ctx, "consultation", 5); err != nil || len(hits) != 1 {
		t.Errorf("search after reopen: %d hits, %v", len(hits), err)
	}
	if subs, _ := s.Subscribers(ctx, "ott"); len(subs) != 1 {
		t.Errorf("subscribers after reopen = %v", subs)
	}
	if v, ok, _ := s.GetState(ctx, "k"); v != "v" || !ok {
		t.Errorf("state after reopen = %q %v", v, ok)
	}
	if due, _ := s.DueDeliveries(ctx, time.Now(), 10); len(due) != 1 {
		t.Errorf("deliveries after reopen = %d, want 1", len(due))
	}
}

// priorItem looks one item up through PriorItems.
func priorItem(ctx context.Context, s *Store, sourceID, itemID string) (*model.PriorItem, error) {
	ps, err := s.PriorItems(ctx, sourceID, []string{itemID})
	return ps[itemID], err
}

func TestPriorItemsAndFingerprintsInBulk(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		// More ids than one query takes, half of them stored, and one stored
		// under another source.
		var ids, prints []string
		for i := range 2*maxListArg + 7 {
			id := fmt.Sprint("i", i)
			ids = append(ids, id)
			prints = append(prints, "fp"+id)
			if i%2 == 0 {
				mustSave(t, s, model.ItemSave{Item: item("src", id, "title "+id), Fingerprint: "fp" + id})
			}
		}
		mustSave(t, s, model.ItemSave{Item: item("other", "i1", "elsewhere"), Fingerprint: "fpi1"})
		got, err := s.PriorItems(ctx, "src", ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != maxListArg+4 {
			t.Errorf("PriorItems found %d items, want %d", len(got), maxListArg+4)
		}
		if p := got["i1000"]; p == nil || p.Item.Title != "title i1000" || p.Fingerprint != "fpi1000" {
			t.Errorf("PriorItems[i1000] = %+v", p)
		}
		if got["i1"] != nil {
			t.Errorf("PriorItems returned another source's item: %+v", got["i1"])
		}
		seen, err := s.SeenFingerprints(ctx, "src", append(prints, "fpi0"))
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != maxListArg+4 || !seen["fpi1006"] || seen["fpi1"] {
			t.Errorf("SeenFingerprints: %d seen, fpi1006 %v, fpi1 (another source's) %v", len(seen), seen["fpi1006"], seen["fpi1"])
		}
		if none, err := s.PriorItems(ctx, "src", nil); err != nil || len(none) != 0 {
			t.Errorf("PriorItems(nil) = %v, %v", none, err)
		}
	})
}

// SaveItems keeps the saves that work when one in the batch fails.
func TestSaveItemsUndoesOnlyTheFailedSave(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		good1, bad, good2 := item("src", "g1", "New IP one"), item("src", "bad", "broken"), item("src", "g2", "New IP two")
		saves := []model.ItemSave{
			{Item: good1, Fingerprint: "1", Alert: alertFor(good1, "new-ip"), Destinations: []string{"console"}},
			{Item: bad, Fingerprint: "2", Alert: alertFor(bad, "new-ip"), Destinations: []string{"console", "console"}},
			{Item: good2, Fingerprint: "3", Alert: alertFor(good2, "new-ip"), Destinations: []string{"slack:C1"}},
		}
		errs := s.SaveItems(ctx, saves)
		if errs[0] != nil || errs[2] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "save item src/bad") {
			t.Fatalf("SaveItems errors = %v, want only the second, naming src/bad", errs)
		}
		if saves[0].Alert.ID == 0 || saves[2].Alert.ID == 0 || saves[1].Alert.ID != 0 {
			t.Errorf("alert ids = %d %d %d, want set for the saved ones only", saves[0].Alert.ID, saves[1].Alert.ID, saves[2].Alert.ID)
		}
		if p, _ := priorItem(ctx, s, "src", "bad"); p != nil {
			t.Errorf("the failed save left its item: %+v", p)
		}
		if due, _ := s.DueDeliveries(ctx, clock.Now().Add(time.Hour), 10); len(due) != 2 {
			t.Errorf("%d deliveries queued, want 2 (one per saved alert)", len(due))
		}
		if !searchable(s) {
			// Nothing to check here.
		} else if hits, _ := s.Search(ctx, "broken", 5); len(hits) != 0 {
			t.Errorf("the failed save is searchable")
		}
		if !searchable(s) {
			// Nothing to check here.
		} else if hits, _ := s.Search(ctx, "two", 5); len(hits) != 1 {
			t.Errorf("a saved item of the batch is not searchable: %d hits", len(hits))
		}

		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		x := item("src", "late", "late")
		for _, err := range s.SaveItems(cancelled, []model.ItemSave{{Item: x, Fingerprint: "4"}}) {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("SaveItems with a cancelled context: %v", err)
			}
		}
	})
}

// Filing an item under an alert that does not exist fails and stores
// nothing, rather than leaving the item pointing at no alert.
func TestJoinMissingAlertFails(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		it := item("press", "copy", "Another report")
		_, err := saveTest(ctx, s, model.ItemSave{Item: it, Fingerprint: "c", JoinAlertID: 404})
		if !errors.Is(err, model.ErrNotFound) || !strings.Contains(err.Error(), "alert 404") {
			t.Fatalf("join of a missing alert: %v, want model.ErrNotFound naming alert 404", err)
		}
		if p, _ := priorItem(ctx, s, "press", "copy"); p != nil {
			t.Errorf("the failed join left its item: %+v", p)
		}

		// And a real join files the item and names its source once.
		first := item("itu-news", "orig", "Council meets")
		id := mustSave(t, s, model.ItemSave{Item: first, Fingerprint: "o", Alert: alertFor(first, "mandate-creep"), Destinations: []string{"console"}})
		for range 2 {
			mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "c", JoinAlertID: id})
		}
		own := item("itu-news", "orig-2", "Council meets again")
		mustSave(t, s, model.ItemSave{Item: own, Fingerprint: "o2", JoinAlertID: id})
		a, err := s.Alert(ctx, id)
		if err != nil || !slices.Equal(a.AlsoReportedBy, []string{"press"}) {
			t.Errorf("also reported by = %v (err %v), want [press]: once, and not the alert's own source", a.AlsoReportedBy, err)
		}
	})
}

// The WAL is copied back into the database file beside the writer, well
// before the writer's own automatic checkpoint would.
func TestCheckpointsRunBesideTheWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var pages int
	if err := s.w.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil || pages != walAutocheckpointPages {
		t.Fatalf("writer's wal_autocheckpoint = %d (err %v), want %d", pages, err, walAutocheckpointPages)
	}
	text := strings.Repeat("Plenipotentiary conference text. ", 128) // 4 KiB
	for i := range 300 {
		mustSave(t, s, model.ItemSave{Item: model.Item{SourceID: "src", ID: fmt.Sprint(i), Title: "item", Content: text}, Fingerprint: fmt.Sprint(i)})
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() >= 1<<20 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file is %d bytes after 1.2 MB of writes: the WAL was not checkpointed", fi.Size())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Saves that only store an item share statements (upsertItems); the rows
// must be those of saving them one by one: a repeated item keeps its last
// version, items around an alerting save keep their order, and a failing
// save among plain ones is undone alone.
func TestSaveItemsPlainRuns(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		var saves []model.ItemSave
		for i := range 45 { // 32 + 8 + 4 + 1 rows per statement
			saves = append(saves, model.ItemSave{Item: item("src", fmt.Sprint("p", i), fmt.Sprint("Plain item ", i)), Fingerprint: fmt.Sprint(i)})
		}
		saves[44].Item = item("src", "p3", "Plain item 3, revised") // a repeat of an earlier one
		alerting := item("src", "a", "New IP alert")
		saves = append(saves[:10], append([]model.ItemSave{{Item: alerting, Fingerprint: "a", Alert: alertFor(alerting, "new-ip")}}, saves[10:]...)...)
		for i, err := range s.SaveItems(ctx, saves) {
			if err != nil {
				t.Fatalf("save %d: %v", i, err)
			}
		}
		var n int
		if err := s.r.QueryRow(`SELECT count(*) FROM items`).Scan(&n); err != nil || n != 45 {
			t.Fatalf("%d items stored (err %v), want 45", n, err)
		}
		if p, _ := priorItem(ctx, s, "src", "p3"); p == nil || p.Item.Title != "Plain item 3, revised" {
			t.Errorf("repeated item = %+v, want its last version", p)
		}
		if searchable(s) {
			if got := searchIDs(t, s, "revised"); !slices.Equal(got, []string{"p3"}) {
				t.Errorf("search revised = %v, want [p3]", got)
			}
		}
		if !s.pg {
			ftsIntegrity(t, s)
		}

		// Reports of the alert's story from another source join it in the same
		// statements: filed under it, and named in its "also reported by".
		alertID := saves[10].Alert.ID
		joins := []model.ItemSave{
			{Item: item("other", "o1", "Quiet other"), Fingerprint: "o1"},
			{Item: item("other", "o2", "New IP alert, again"), Fingerprint: "o2", JoinAlertID: alertID},
			{Item: item("third", "t1", "New IP alert, third"), Fingerprint: "t1", JoinAlertID: alertID},
		}
		for i, err := range s.SaveItems(ctx, joins) {
			if err != nil {
				t.Fatalf("join %d: %v", i, err)
			}
		}
		for src, id := range map[string]string{"other": "o2", "third": "t1"} {
			if p, _ := priorItem(ctx, s, src, id); p == nil || p.FirstAlertID != alertID {
				t.Errorf("joined item %s/%s = %+v, want it filed under alert %d", src, id, p, alertID)
			}
		}
		if p, _ := priorItem(ctx, s, "other", "o1"); p == nil || p.FirstAlertID != 0 {
			t.Errorf("plain item o1 = %+v, want no alert", p)
		}
		if a, err := s.Alert(ctx, alertID); err != nil || !slices.Equal(a.AlsoReportedBy, []string{"other", "third"}) {
			t.Errorf("also reported by = %v (err %v), want [other third]", a.AlsoReportedBy, err)
		}
		// An item stored before joins too; a join of a missing alert fails
		// alone.
		errs := s.SaveItems(ctx, []model.ItemSave{
			{Item: item("other", "o1", "Quiet other, now about New IP"), Fingerprint: "o1b", JoinAlertID: alertID},
			{Item: item("other", "o2", "New IP alert, again"), Fingerprint: "o2b", JoinAlertID: alertID + 1000},
		})
		if errs[0] != nil || !errors.Is(errs[1], model.ErrNotFound) {
			t.Fatalf("joins = %v, want the first saved and the second not found", errs)
		}
		if p, _ := priorItem(ctx, s, "other", "o1"); p == nil || p.FirstAlertID != alertID {
			t.Errorf("stored item o1 after joining = %+v, want it filed under alert %d", p, alertID)
		}

		// A failing save among plain ones: the batch is written again, save by
		// save, and only the failing one is undone.
		bad := item("src", "bad", "broken")
		batch := []model.ItemSave{
			{Item: item("src", "q1", "Quiet one"), Fingerprint: "q1"},
			{Item: bad, Fingerprint: "b", JoinAlertID: 999_999},
			{Item: item("src", "q2", "Quiet two"), Fingerprint: "q2"},
		}
		errs = s.SaveItems(ctx, batch)
		if errs[0] != nil || errs[1] == nil || errs[2] != nil {
			t.Fatalf("errors = %v, want only the second", errs)
		}
		for id, want := range map[string]bool{"q1": true, "bad": false, "q2": true} {
			if p, _ := priorItem(ctx, s, "src", id); (p != nil) != want {
				t.Errorf("item %s stored: %v, want %v", id, p != nil, want)
			}
		}
	})
}
