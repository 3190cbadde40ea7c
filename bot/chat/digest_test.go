package chat

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/digest"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// digestRouter is a router over a real store and digest closer, as the
// daemon wires them.
func digestRouter(t *testing.T) (*Router, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// A second ahead, so that what was just stored is in the period so far.
	closer := digest.NewCloser(digest.Options{Store: st, Now: func() time.Time { return time.Now().Add(time.Second) }})
	r := NewRouter(RouterOptions{Queries: st, Digests: closer, RateLimit: RateLimit{Burst: -1},
		Topics: []TopicInfo{{ID: "new-ip", Name: "New IP"}, {ID: "ott", Name: "Over-the-top services"}}})
	return r, st
}

func TestDigestCommand(t *testing.T) {
	ctx := context.Background()
	r, st := digestRouter(t)
	ask := func(text string, admin bool) Reply {
		return r.Handle(ctx, Request{Text: text, Platform: "slack", Channel: "C1", User: "U1", CanAdmin: admin})
	}
	for _, tc := range []struct {
		text  string
		admin bool
		title string
		err   bool
	}{
		{"digest", false, "This channel gets each alert as it comes; it has no digest.", false},
		{"digest daily", false, "Only admins can change what this channel receives.", true},
		{"digest daily Europe/Genva", true, "unknown time zone \"Europe/Genva\"", true},
		{"digest daily newip", true, "", false},
		{"digest weekly Europe/Zurich new-ip ott", true, "This channel now gets a weekly digest on Mondays at 09:00 (Europe/Zurich) of its alerts on new-ip, ott instead of each alert as it comes.", false},
		{"digest", false, "This channel gets a weekly digest on Mondays at 09:00 (Europe/Zurich) of all its alerts.", false},
		{"digest monthly", true, "digest takes daily, weekly, off or now, not \"monthly\".", true},
		{"digest now", false, "Nothing is waiting for this channel's next digest.", false},
		{"digest off", false, "Only admins", true},
		{"digest off", true, "This channel gets each alert as it comes again.", false},
		{"digest off", true, "This channel had no digest set in chat.", false},
	} {
		got := ask(tc.text, tc.admin)
		if !strings.Contains(got.Title, tc.title) || got.Error != tc.err {
			t.Errorf("%q (admin %v) = %q (error %v), want %q (error %v)", tc.text, tc.admin, got.Title, got.Error, tc.title, tc.err)
		}
	}

	// digest daily newip forgave the spelling and stored new-ip; the weekly
	// one replaced it.
	cd, ok, err := st.ChannelDigest(ctx, "slack:C1")
	if err != nil || ok {
		t.Errorf("after digest off: %+v, %v, %v", cd, ok, err)
	}
}

// digest now previews the period so far and records nothing.
func TestDigestNowPreviews(t *testing.T) {
	ctx := context.Background()
	r, st := digestRouter(t)
	if reply := r.Handle(ctx, Request{Text: "digest daily", Platform: "matrix", Channel: "!r:x", User: "@a:x", CanAdmin: true}); reply.Error {
		t.Fatal(reply.Title)
	}
	for i := range 23 {
		it := model.Item{SourceID: "itu-news", ID: fmt.Sprint(i), Title: fmt.Sprintf("Story %d", i), Link: fmt.Sprintf("https://www.itu.int/%d", i)}
		a := &model.Alert{Kind: model.AlertNew, Item: it, Matches: []model.Match{{Topic: "new-ip", TopicName: "New IP", Severity: model.SeverityMedium}}}
		if err := st.SaveItems(ctx, []model.ItemSave{{Item: it, Fingerprint: it.ID, Alert: a, DigestDestinations: []string{"matrix:!r:x"}}})[0]; err != nil {
			t.Fatal(err)
		}
	}
	reply := r.Handle(ctx, Request{Text: "digest now", Platform: "matrix", Channel: "!r:x", User: "@b:x"})
	if reply.Error || !strings.HasPrefix(reply.Title, "So far in the next digest: 23 alerts") {
		t.Fatalf("digest now = %+v", reply)
	}
	if len(reply.Lines) != maxPreviewLines || reply.Lines[0].Text != "Story 22" || !strings.HasPrefix(reply.Lines[0].Note, "New IP · itu-news") {
		t.Errorf("lines = %+v, want the newest first, %d of them", reply.Lines[:1], maxPreviewLines)
	}
	if reply.Footer != "and 3 more stories in the digest; a preview: nothing was sent" {
		t.Errorf("footer = %q", reply.Footer)
	}
	if p, _ := st.PendingDeliveries(ctx, 10); len(p) != 0 {
		t.Errorf("the preview queued %d deliveries", len(p))
	}
	if last, _ := st.LastDigestEnd(ctx, "matrix:!r:x"); !last.IsZero() {
		t.Errorf("the preview closed a period ending %v", last)
	}
}
