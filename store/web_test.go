package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

func TestNewestAlertIDAndAlertTopics(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		if id, err := s.NewestAlertID(ctx); err != nil || id != 0 {
			t.Fatalf("NewestAlertID of an empty store = %d, %v; want 0", id, err)
		}
		old := item("src", "old", "old")
		clock.Set(t0.Add(-400 * 24 * time.Hour))
		oldID := mustSave(t, s, model.ItemSave{Item: old, Fingerprint: "o", Alert: alertFor(old, "dns")})
		clock.Set(t0)
		a := item("src", "a", "a")
		aID := mustSave(t, s, model.ItemSave{Item: a, Fingerprint: "a", Alert: alertFor(a, "new-ip", "dns")})
		clock.Set(t0.Add(time.Hour))
		b := item("src", "b", "b")
		bID := mustSave(t, s, model.ItemSave{Item: b, Fingerprint: "b", Alert: alertFor(b, "dns")})
		mustSave(t, s, model.ItemSave{Item: item("src", "plain", "no alert"), Fingerprint: "p"})

		if id, err := s.NewestAlertID(ctx); err != nil || id != bID {
			t.Fatalf("NewestAlertID = %d, %v; want %d", id, err, bID)
		}
		since := t0.Add(-365 * 24 * time.Hour)
		got, err := s.AlertTopics(ctx, 0, since, 100)
		if err != nil {
			t.Fatal(err)
		}
		want := []model.AlertTopic{{AlertID: aID, Topic: "new-ip", At: t0}, {AlertID: aID, Topic: "dns", At: t0}, {AlertID: bID, Topic: "dns", At: t0.Add(time.Hour)}}
		if !slices.EqualFunc(got, want, func(x, y model.AlertTopic) bool {
			return x.AlertID == y.AlertID && x.Topic == y.Topic && x.At.Equal(y.At)
		}) {
			t.Errorf("AlertTopics = %+v; want %+v (the alert of %d is older than the window)", got, want, oldID)
		}
		// Only what came after a given alert, and no more than the limit.
		got, err = s.AlertTopics(ctx, aID, since, 100)
		if err != nil || len(got) != 1 || got[0].AlertID != bID {
			t.Errorf("AlertTopics after %d = %+v, %v; want alert %d only", aID, got, err, bID)
		}
		got, err = s.AlertTopics(ctx, 0, since, 1)
		if err != nil || len(got) != 1 || got[0].AlertID != aID {
			t.Errorf("AlertTopics limit 1 = %+v, %v", got, err)
		}
	})
}

func TestPeriodAlertsAndUpdates(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		var ids []int64
		for i, tp := range []string{"dns", "new-ip", "dns"} {
			clock.Set(t0.Add(time.Duration(i) * 24 * time.Hour))
			it := item("src", "i"+string(rune('0'+i)), "item "+tp)
			ids = append(ids, mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "f", Alert: alertFor(it, tp)}))
		}
		clock.Set(t0.Add(10 * 24 * time.Hour))
		v2 := item("src", "i0", "item dns revised")
		upd := alertFor(v2, "dns")
		upd.Kind, upd.ParentID, upd.Change = model.AlertUpdate, ids[0], "title changed"
		updID := mustSave(t, s, model.ItemSave{Item: v2, Fingerprint: "g", Alert: upd})

		alertIDs := func(as []model.Alert) []int64 {
			var out []int64
			for _, a := range as {
				out = append(out, a.ID)
			}
			return out
		}
		tests := []struct {
			name     string
			topic    string
			from, to time.Time
			before   int64
			limit    int
			want     []int64
		}{
			{"a topic's week, newest first", "dns", t0, t0.Add(7 * 24 * time.Hour), 0, 10, []int64{ids[2], ids[0]}},
			{"every topic", "", t0, t0.Add(7 * 24 * time.Hour), 0, 10, []int64{ids[2], ids[1], ids[0]}},
			{"before an id (the next page)", "dns", t0, t0.Add(30 * 24 * time.Hour), ids[2], 10, []int64{ids[0]}},
			{"a limit", "", t0, t0.Add(30 * 24 * time.Hour), 0, 2, []int64{updID, ids[2]}},
			{"the end is excluded", "dns", t0, t0.Add(24 * time.Hour), 0, 10, []int64{ids[0]}},
			{"no start: the newest of all", "dns", time.Time{}, t0.Add(365 * 24 * time.Hour), 0, 2, []int64{updID, ids[2]}},
			{"a week without alerts", "dns", t0.Add(-7 * 24 * time.Hour), t0, 0, 10, nil},
			{"another topic", "cybersecurity", t0, t0.Add(30 * 24 * time.Hour), 0, 10, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.PeriodAlerts(ctx, tt.topic, tt.from, tt.to, tt.before, tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(alertIDs(got), tt.want) {
					t.Errorf("PeriodAlerts = %v; want %v", alertIDs(got), tt.want)
				}
				for _, a := range got {
					if len(a.Matches) == 0 || a.Item.Title == "" {
						t.Errorf("alert %d is not loaded whole: %+v", a.ID, a)
					}
				}
			})
		}
		ups, err := s.AlertUpdates(ctx, ids[0], 10)
		if err != nil || !slices.Equal(alertIDs(ups), []int64{updID}) || ups[0].Change != "title changed" {
			t.Errorf("AlertUpdates = %+v, %v; want the update %d", ups, err, updID)
		}
		if ups, err := s.AlertUpdates(ctx, ids[1], 10); err != nil || len(ups) != 0 {
			t.Errorf("AlertUpdates of an alert without updates = %v, %v", ups, err)
		}
	})
}

func TestDocuments(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		doc := func(id, number string) model.Item {
			it := item("pp26-docs", id, "Contribution "+number)
			it.Content = strings.Repeat("long text ", 100)
			it.Document = &model.DocumentRef{Number: number, Series: "PP", Meeting: "26", Seq: id, Languages: []string{"E", "F"}, Proposers: []string{"RCC"}}
			return it
		}
		d1 := doc("1", "PP26/1")
		a1 := mustSave(t, s, model.ItemSave{Item: d1, Fingerprint: "1", Alert: alertFor(d1, "new-ip", "dns")})
		clock.Set(t0.Add(time.Minute))
		mustSave(t, s, model.ItemSave{Item: doc("2", "PP26/2"), Fingerprint: "2"})
		mustSave(t, s, model.ItemSave{Item: item("itu-news", "n", "not a document"), Fingerprint: "n"})

		got, err := s.NewestDocuments(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Item.ID != "2" || got[1].Item.ID != "1" {
			t.Fatalf("NewestDocuments = %+v; want PP26/2 then PP26/1", got)
		}
		first := got[1]
		if first.AlertID != a1 || !slices.Equal(first.Topics, []string{"new-ip", "dns"}) || first.Item.Document.Number != "PP26/1" ||
			!slices.Equal(first.Item.Document.Proposers, []string{"RCC"}) || first.Item.Content != "" || !first.LastSeen.Equal(t0) {
			t.Errorf("document = %+v; want alert %d, its topics, its document, no text, last seen %v", first, a1, t0)
		}
		if got[0].AlertID != 0 || got[0].Topics != nil {
			t.Errorf("a document without alert = %+v", got[0])
		}
		// Since the newest read: nothing; then the revised one only.
		since, err := s.DocumentsSince(ctx, got[0].LastSeen, got[0].RowID, 10)
		if err != nil || len(since) != 0 {
			t.Fatalf("DocumentsSince the newest = %+v, %v; want nothing", since, err)
		}
		clock.Set(t0.Add(time.Hour))
		rev := doc("1", "PP26/1")
		rev.Document.Revision = "Rev.1"
		mustSave(t, s, model.ItemSave{Item: rev, Fingerprint: "1r"})
		since, err = s.DocumentsSince(ctx, got[0].LastSeen, got[0].RowID, 10)
		if err != nil || len(since) != 1 || since[0].Item.Document.Revision != "Rev.1" || since[0].RowID != first.RowID {
			t.Errorf("DocumentsSince = %+v, %v; want PP26/1 Rev.1", since, err)
		}
		// Ties on last_seen are told apart by row id.
		since, err = s.DocumentsSince(ctx, t0, 0, 10)
		if err != nil || len(since) != 3-1 {
			t.Errorf("DocumentsSince(t0, 0) = %d documents, %v; want 2 (PP26/1 at t0 was revised later)", len(since), err)
		}
		if got, err := s.NewestDocuments(ctx, 1); err != nil || len(got) != 1 {
			t.Errorf("NewestDocuments limit 1 = %d, %v", len(got), err)
		}
	})
}

// Every read of the web view seeks an index and walks it in the order it
// returns rows: no scan of a table, no sort of everything that matched, so
// that a page costs the same at a million items (BenchmarkWebReads).
func TestWebReadsWalkIndexes(t *testing.T) {
	s, _ := openTest(t)
	for name, tt := range map[string]struct{ sql, index string }{
		"alert topics":      {alertTopicsSQL, "sqlite_autoindex_alert_matches_1"},
		"window's first":    {windowFirstSQL, "alerts_created_at"},
		"recent alerts":     {recentAllSQL, "PRIMARY KEY"},
		"recent of a topic": {recentTopicSQL, "alert_matches_topic"},
		"a period's ids":    {periodIDsSQL, "alerts_created_at"},
		"a period":          {periodAllSQL, "PRIMARY KEY"},
		"a topic's period":  {periodTopicSQL, "alert_matches_topic"},
		"updates":           {updatesSQL, "alerts_parent"},
		"newest documents":  {newestDocumentsSQL, "items_documents_seen"},
		"documents since":   {documentsSinceSQL, "items_documents_seen"},
	} {
		args := make([]any, strings.Count(tt.sql, "?"))
		for i := range args {
			args[i] = int64(1)
		}
		rows, err := s.r.Query("EXPLAIN QUERY PLAN "+tt.sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		tableScan := slices.ContainsFunc(plan, func(l string) bool { return strings.HasPrefix(l, "SCAN ") && !strings.Contains(l, " USING ") })
		if !strings.Contains(p, tt.index) || strings.Contains(p, "TEMP B-TREE") || tableScan {
			t.Errorf("%s: plan %q; want a walk of %s and no scan or sort", name, p, tt.index)
		}
	}
}
