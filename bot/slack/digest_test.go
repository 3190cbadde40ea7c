package slack

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/digest"
	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// A digest page goes out through chat.postMessage as Block Kit, with the
// delivery in its metadata like every alert.
func TestSendDigestGolden(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	if _, err := c.Send(context.Background(), outgoing(bottest.Digest())); err != nil {
		t.Fatalf("Send: %v", err)
	}
	p := f.acceptedPosts()[0]
	if got := p.Get("text"); got != "Daily digest: 7 alerts (page 1 of 2)" {
		t.Errorf("fallback text = %q", got)
	}
	golden(t, "digest.golden.json", prettyBlocks(t, p))
}

func TestDigestEscapesFeedText(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	if _, err := c.Send(context.Background(), outgoing(bottest.HostileDigest())); err != nil {
		t.Fatalf("Send: %v", err)
	}
	p := f.acceptedPosts()[0]
	for _, tx := range texts(postedBlocks(t, p)) {
		s := tx["text"].(string)
		if tx["type"] == "mrkdwn" && tx["verbatim"] != true {
			t.Errorf("mrkdwn text without verbatim: %q", s)
		}
		for _, m := range anyAngle.FindAllString(s, -1) {
			// The only markup is the links we made to the safe story links.
			if !strings.HasPrefix(m, "<https://www.itu.int/") {
				t.Errorf("markup %q reached Slack in %q", m, s)
			}
		}
		if strings.Contains(s, "javascript:") && strings.Contains(s, "<javascript") {
			t.Errorf("an unsafe link was linked: %q", s)
		}
	}
}

// The largest pages Build makes, of the longest titles and links all
// escaped, still fit Slack: at most 50 blocks, 3,000 characters a section.
func TestDigestPagesFitSlack(t *testing.T) {
	var entries []model.DigestEntry
	for i := range 300 {
		entries = append(entries, model.DigestEntry{
			AlertID: int64(i + 1), CreatedAt: time.Unix(int64(i), 0),
			Item: model.Item{SourceID: strings.Repeat("s", 80), Title: strings.Repeat("<&>*", 100),
				Link: "https://www.itu.int/" + strings.Repeat("a&b", 120), Document: &model.DocumentRef{Number: strings.Repeat("C", 70), Revision: "Rev.9"}},
			Matches: []model.Match{{Topic: fmt.Sprintf("topic-%d", i), TopicName: strings.Repeat("N", 80)}},
		})
	}
	pages, _ := digest.Build(model.DigestPlan{Destination: "slack:#d", Schedule: "weekly"}, time.Time{}, time.Unix(999, 0), entries, 12)
	for _, pg := range pages {
		pg.ID = 9
		f := newFakeSlack(t)
		c, _ := newTestClient(t, f, nil)
		if _, err := c.Send(context.Background(), outgoing(pg)); err != nil {
			t.Fatalf("Send page %d: %v", pg.Digest.Page, err)
		}
		blocks := postedBlocks(t, f.acceptedPosts()[0])
		if len(blocks) > maxBlocks {
			t.Errorf("page %d has %d blocks", pg.Digest.Page, len(blocks))
		}
		for _, tx := range texts(blocks) {
			if n := units(tx["text"].(string)); n > maxSectionText {
				t.Errorf("page %d has a text of %d characters", pg.Digest.Page, n)
			}
		}
		if s := fmt.Sprint(blocks); strings.Contains(s, "too long for Slack") {
			t.Errorf("page %d was cut", pg.Digest.Page)
		}
	}
}

// A digest of several pages arrives as the first page in the channel and
// the others as replies in its thread, through the real dispatcher and
// store, each once.
func TestDigestPagesThreadUnderTheFirst(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const dest = "slack:#itu-alerts"
	for i := range 45 {
		it := model.Item{SourceID: "itu-news", ID: fmt.Sprint(i), Title: fmt.Sprintf("Story %d", i), Link: fmt.Sprintf("https://www.itu.int/%d", i)}
		a := &model.Alert{Kind: model.AlertNew, Item: it, Matches: []model.Match{{Topic: "new-ip", Severity: model.SeverityMedium}}}
		if err := st.SaveItems(ctx, []model.ItemSave{{Item: it, Fingerprint: it.ID, Alert: a, DigestDestinations: []string{dest}}})[0]; err != nil {
			t.Fatal(err)
		}
	}
	later := time.Now().Add(25 * time.Hour)
	closer := digest.NewCloser(digest.Options{Store: st, Plans: []model.DigestPlan{{Destination: dest, Schedule: "daily"}}, Now: func() time.Time { return later }})
	if n, _, err := closer.CloseDue(ctx); err != nil || n != 1 {
		t.Fatalf("CloseDue = %d, %v", n, err)
	}
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	now := time.Now()
	d := newDispatcher(c, st, &now)
	for range 5 {
		if _, err := d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	posts := f.acceptedPosts()
	if len(posts) != 3 {
		t.Fatalf("%d posts, want 3 pages of a 45-story digest", len(posts))
	}
	if posts[0].Get("thread_ts") != "" {
		t.Errorf("the first page went into a thread")
	}
	root := posts[0].Get("_ts")
	stories := 0
	for i, p := range posts {
		if i > 0 && (p.Get("thread_ts") == "" || (root != "" && p.Get("thread_ts") != root)) {
			t.Errorf("page %d: thread_ts %q, want the first page's %q", i+1, p.Get("thread_ts"), root)
		}
		stories += strings.Count(p.Get("blocks"), "Story ")
	}
	if stories != 45 {
		t.Errorf("%d stories across the pages, want all 45", stories)
	}
	if st := destination(t, st, dest); st.Pending != 0 || st.Failed != 0 {
		t.Errorf("outbox after sending: %+v", st)
	}
}
