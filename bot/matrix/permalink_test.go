package matrix

import (
	"context"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/model"
)

// With a web view, the alert event links its page: an <a href> in the HTML
// and the address itself in the plain body; the edit that shows a claim
// keeps both. Without one, neither.
func TestSendLinksTheAlertPage(t *testing.T) {
	f := newFakeHomeserver(t)
	c, _ := newTestClient(t, f, newMemState(), func(o *Options) { o.PermalinkBase = "https://itu.example.org/watch/" })
	msg := notify.Outgoing{DeliveryID: 1, Alert: hostileAlert(), Target: alertsRoom, Attempt: 1}
	if _, err := c.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ev := f.waitSent(t)
	const link = "https://itu.example.org/watch/alerts/42"
	checkLink := func(what string, content map[string]any) {
		t.Helper()
		body, _ := content["body"].(string)
		fb, _ := content["formatted_body"].(string)
		checkHTML(t, fb)
		if !strings.Contains(fb, `<a href="`+link+`">Open in ituwatch</a>`) {
			t.Errorf("%s: formatted_body lacks the link to %s:\n%s", what, link, fb)
		}
		if !strings.Contains(body, "Open in ituwatch: "+link) {
			t.Errorf("%s: body lacks the address %s:\n%s", what, link, body)
		}
	}
	checkLink("alert", ev.Content)
	golden(t, "alert_new_permalink.golden.json", indentJSON(t, ev.Raw))

	claim := &model.AlertClaim{AlertID: 42, State: model.Claimed, By: model.Person{Platform: "matrix", ID: "@eve:example.org", Name: "Eve"}}
	if err := c.Edit(context.Background(), notify.Edit{Alert: msg.Alert, Claim: claim, Target: alertsRoom, ExternalID: ev.EventID, DeliveryID: 1}); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	edit := f.waitSent(t)
	newContent, _ := edit.Content["m.new_content"].(map[string]any)
	checkLink("edit", newContent)

	g := newFakeHomeserver(t)
	pc, _ := newTestClient(t, g, newMemState(), nil)
	if _, err := pc.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	plain := g.waitSent(t)
	if s := string(plain.Raw); strings.Contains(s, "/alerts/") || strings.Contains(s, "Open in ituwatch") {
		t.Errorf("an alert without a web view links one:\n%s", s)
	}
}

// A summary of held alerts and a digest page are not alerts with a page.
func TestSummaryAndDigestHaveNoPermalink(t *testing.T) {
	for _, a := range []model.Alert{bottest.Summary(), bottest.Digest()} {
		f := newFakeHomeserver(t)
		c, _ := newTestClient(t, f, newMemState(), func(o *Options) { o.PermalinkBase = "https://itu.example.org" })
		if _, err := c.Send(context.Background(), notify.Outgoing{DeliveryID: 1, Alert: a, Target: alertsRoom, Attempt: 1}); err != nil {
			t.Fatal(err)
		}
		if s := string(f.waitSent(t).Raw); strings.Contains(s, "/alerts/") {
			t.Errorf("%s links an alert page:\n%s", a.Kind, s)
		}
	}
}
