package chat

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

func muteRouter(t *testing.T) (*Router, *store.Store, time.Time) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	r := NewRouter(RouterOptions{
		Queries:   st,
		Topics:    []TopicInfo{{ID: "new-ip", Name: "New IP"}, {ID: "mandate-creep", Name: "Mandate creep"}},
		Sources:   []SourceInfo{{ID: "itu-council"}, {ID: "itu-tsag"}, {ID: "news"}},
		Now:       func() time.Time { return now },
		RateLimit: RateLimit{Burst: -1},
	})
	return r, st, now
}

func TestMuteCommands(t *testing.T) {
	r, st, now := muteRouter(t)
	ctx := context.Background()
	admin := Request{Platform: "slack", Channel: "C1", User: "U1", CanAdmin: true}
	ask := func(req Request, text string) Reply {
		req.Text = text
		return r.Handle(ctx, req)
	}
	if rep := ask(Request{Platform: "slack", Channel: "C1", User: "U2"}, "mute new-ip"); !rep.Error || !strings.Contains(rep.Title, "Only admins") {
		t.Errorf("mute by a non-admin = %+v, want refused", rep)
	}
	for _, c := range []struct {
		text, title string
		kind        model.MuteKind
		value       string
		until       time.Time
	}{
		{"mute new-ip for 2w too noisy", "alerts on topic new-ip until Mon 21 Dec 09:00 UTC", model.MuteTopic, "new-ip", now.Add(14 * 24 * time.Hour)},
		{"mute itu-* for 12h", "source itu-*", model.MuteSource, "itu-*", now.Add(12 * time.Hour)},
		{`mute "Digital Sovereignty" for 3d`, `the words "digital sovereignty"`, model.MutePhrase, "digital sovereignty", now.Add(3 * 24 * time.Hour)},
		{"mute tsag", `the words "tsag"`, model.MutePhrase, "tsag", now.Add(7 * 24 * time.Hour)},
	} {
		rep := ask(admin, c.text)
		if rep.Error || !strings.Contains(rep.Title, c.title) {
			t.Errorf("%s = %+v, want title with %q", c.text, rep, c.title)
		}
		mutes, err := st.Mutes(ctx, "slack:C1", now)
		if err != nil || len(mutes) == 0 {
			t.Fatalf("Mutes = %v, %v", mutes, err)
		}
		last := mutes[len(mutes)-1]
		if last.Kind != c.kind || last.Value != c.value || !last.ExpiresAt.Equal(c.until) {
			t.Errorf("%s stored %+v, want %s %q until %v", c.text, last, c.kind, c.value, c.until)
		}
	}
	for _, bad := range []string{"mute new-ip for ever", "mute source:nothing-*", "mute new-ip for 200d", `mute "***"`} {
		if rep := ask(admin, bad); !rep.Error {
			t.Errorf("%s = %+v, want an error", bad, rep)
		}
	}
	if rep := ask(admin, "mutes"); len(rep.Lines) != 4 || !strings.Contains(rep.Lines[0].Note, "too noisy") {
		t.Errorf("mutes = %+v", rep)
	}
	if rep := ask(admin, "unmute new-ip"); rep.Error || !strings.Contains(rep.Title, "again") {
		t.Errorf("unmute = %+v", rep)
	}
	if rep := ask(admin, "unmute new-ip"); !strings.Contains(rep.Title, "no mute") {
		t.Errorf("second unmute = %+v", rep)
	}
}

func TestSnoozeCommandSnoozesTheFirstAlert(t *testing.T) {
	r, st, _ := muteRouter(t)
	ctx := context.Background()
	it := model.Item{SourceID: "news", ID: "a", Title: "New IP"}
	first := &model.Alert{Kind: model.AlertNew, Item: it}
	if err := st.SaveItems(ctx, []model.ItemSave{{Item: it, Fingerprint: "1", Alert: first}})[0]; err != nil {
		t.Fatal(err)
	}
	upd := &model.Alert{Kind: model.AlertUpdate, ParentID: first.ID, Item: it}
	if err := st.SaveItems(ctx, []model.ItemSave{{Item: it, Fingerprint: "2", Alert: upd}})[0]; err != nil {
		t.Fatal(err)
	}
	rep := r.Handle(ctx, Request{Platform: "matrix", Channel: "!r:example.org", User: "@a:example.org", Text: "snooze #" + itoa(upd.ID) + " for 3d"})
	if rep.Error || !strings.Contains(rep.Title, "alert #"+itoa(first.ID)) || !strings.Contains(rep.Title, "Thu 10 Dec 09:00 UTC") {
		t.Fatalf("snooze = %+v", rep)
	}
	if rep := r.Handle(ctx, Request{Platform: "matrix", Channel: "!r:example.org", User: "@a:example.org", Text: "snooze 999"}); !rep.Error || !strings.Contains(rep.Title, "no alert #999") {
		t.Errorf("snooze of a missing alert = %+v", rep)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestFollowCommands(t *testing.T) {
	r, st, _ := muteRouter(t)
	ctx := context.Background()
	slack := Request{Platform: "slack", Channel: "C1", User: "U0123ABCD"}
	ask := func(req Request, text string) Reply {
		req.Text = text
		return r.Handle(ctx, req)
	}
	if rep := ask(slack, "follow C26/51(Rev.1)-F"); rep.Error || !strings.Contains(rep.Title, "document C26/51 (every revision and language)") || !strings.Contains(rep.Title, "direct message") {
		t.Errorf("follow of a document = %+v", rep)
	}
	if rep := ask(slack, "follow CWG-Internet 24/6"); rep.Error || !strings.Contains(rep.Title, "document CWG-Internet 24/6") {
		t.Errorf("follow of a CWG document = %+v", rep)
	}
	if rep := ask(slack, `follow "New IP"`); rep.Error || !strings.Contains(rep.Title, `the words "new ip"`) {
		t.Errorf("follow of words = %+v", rep)
	}
	if rep := ask(slack, "follow proposer:Russian Federation"); rep.Error || !strings.Contains(rep.Title, `proposals by "Russian Federation"`) {
		t.Errorf("follow of a proposer = %+v", rep)
	}
	// Proposers are followed by their canonical names, whatever alias is typed.
	if rep := ask(slack, "follow proposer:russia"); !strings.Contains(rep.Title, "already follow") {
		t.Errorf("follow of an alias of a followed proposer = %+v", rep)
	}
	if rep := ask(slack, "follow proposer:Regional Commonwealth in the field of Communications"); rep.Error || !strings.Contains(rep.Title, `proposals by "RCC"`) {
		t.Errorf("follow of a regional group by its long name = %+v", rep)
	}
	if rep := ask(slack, "follow C26/51"); !strings.Contains(rep.Title, "already follow") {
		t.Errorf("second follow = %+v", rep)
	}
	fs, err := st.Follows(ctx, "slack:@U0123ABCD")
	if err != nil || len(fs) != 5 {
		t.Fatalf("stored follows = %v, %v", fs, err)
	}
	if rep := ask(Request{Platform: "matrix", Channel: "!r:example.org", User: "@alice:example.org"}, "following"); !strings.Contains(rep.Title, "nothing") {
		t.Errorf("another person's following = %+v", rep)
	}
	if rep := ask(slack, "following"); len(rep.Lines) != 5 {
		t.Errorf("following = %+v", rep)
	}
	if rep := ask(slack, "unfollow C26/51-E"); rep.Error || !strings.Contains(rep.Title, "no longer follow document C26/51") {
		t.Errorf("unfollow = %+v", rep)
	}
}
