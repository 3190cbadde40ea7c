package slack

import (
	"context"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/model"
)

const permalinkBase = "https://itu.example.org/watch/"

// With a web view, the alert Slack receives links its page; the edit that
// shows a claim keeps the link; without one, no link.
func TestSendLinksTheAlertPage(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, func(o *Options) { o.PermalinkBase = permalinkBase })
	out := outgoing(sampleAlert())
	ts, err := c.Send(context.Background(), out)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	p := f.acceptedPosts()[0]
	const link = "<https://itu.example.org/watch/alerts/42|Open in ituwatch>"
	if !strings.Contains(blockTexts(t, p), link) {
		t.Errorf("posted blocks lack %s:\n%s", link, blockTexts(t, p))
	}
	golden(t, "alert_new_permalink.golden.json", prettyBlocks(t, p))

	claim := &model.AlertClaim{AlertID: 42, State: model.Claimed, By: model.Person{Platform: "slack", ID: "UEVE0001", Name: "Eve"}}
	if err := c.Edit(context.Background(), notify.Edit{Alert: out.Alert, Claim: claim, Target: "#itu-alerts", ExternalID: ts, DeliveryID: 7}); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	if up := within(t, f.updated, "the chat.update"); !strings.Contains(blockTexts(t, up), link) {
		t.Errorf("the edited alert lost its link:\n%s", blockTexts(t, up))
	}

	plain := newFakeSlack(t)
	pc, _ := newTestClient(t, plain, nil)
	if _, err := pc.Send(context.Background(), outgoing(sampleAlert())); err != nil {
		t.Fatal(err)
	}
	if b := plain.acceptedPosts()[0].Get("blocks"); strings.Contains(b, "Open in ituwatch") || strings.Contains(b, "/alerts/") {
		t.Errorf("an alert without a web view links one:\n%s", b)
	}
}

// A summary of held alerts and a digest page are not alerts with a page.
func TestSummaryAndDigestHaveNoPermalink(t *testing.T) {
	for _, a := range []model.Alert{bottest.Summary(), bottest.Digest()} {
		f := newFakeSlack(t)
		c, _ := newTestClient(t, f, func(o *Options) { o.PermalinkBase = permalinkBase })
		if _, err := c.Send(context.Background(), outgoing(a)); err != nil {
			t.Fatal(err)
		}
		if b := f.acceptedPosts()[0].Get("blocks"); strings.Contains(b, "/alerts/") {
			t.Errorf("%s links an alert page:\n%s", a.Kind, b)
		}
	}
}

// blockTexts is every text of a posted message's blocks, one a line, as
// Slack reads them (JSON escapes undone).
func blockTexts(t *testing.T, form map[string][]string) string {
	t.Helper()
	var lines []string
	for _, tx := range texts(postedBlocks(t, form)) {
		lines = append(lines, tx["text"].(string))
	}
	return strings.Join(lines, "\n")
}
