package matrix

import (
	"context"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/model"
)

// An update whose text changed shows, in its thread, the sentences that
// changed: as the homeserver receives the event.
func TestSendShowsWhatChanged(t *testing.T) {
	ev, fb, body := sendInThread(t, 3, bottest.DiffUpdate())
	for _, want := range []string{
		"<li>~ Contributions are due by <del>1</del> <strong>15</strong> March 2027.</li>",
		"<li>− <del>The chair thanked the secretariat.</del></li>",
		"<li>+ A second session on <strong>IPv6</strong> deployment will follow in May.</li>",
	} {
		if !strings.Contains(fb, want) {
			t.Errorf("formatted_body lacks %q:\n%s", want, fb)
		}
	}
	for _, want := range []string{
		"~ Contributions are due by [-1-] {+15+} March 2027.\n",
		"+ A second session on IPv6 deployment will follow in May.\n",
		"(+2 more changes; !itu explain 51 shows them)",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	golden(t, "alert_diff.golden.json", indentJSON(t, ev.Raw))
}

// A hostile added sentence reaches the room with its matched word in
// <strong> and nothing in it live: no ping, no element, no link.
func TestSendDiffEscapesHostileText(t *testing.T) {
	ev, fb, body := sendInThread(t, 4, bottest.HostileDiff())
	want := "<li>+ &lt;!channel&gt; @\u2060room read &lt;b&gt;this&lt;/b&gt; &lt;https://evil.example|<strong>IPv6</strong> now&gt; " +
		"*urgent* ~gone~ `code` &amp; <strong>IPv6</strong> &lt;script&gt;x&lt;/script&gt;.</li>"
	if !strings.Contains(fb, want) {
		t.Errorf("formatted_body lacks %q:\n%s", want, fb)
	}
	if strings.Contains(strings.ToLower(body), "@room") {
		t.Errorf("body pings @room:\n%s", body)
	}
	if !strings.Contains(body, "+ <!channel> @\u2060room read <b>this</b>") {
		t.Errorf("body does not show the sentence as text:\n%s", body)
	}
	if m, ok := ev.Content["m.mentions"].(map[string]any); !ok || len(m) != 0 {
		t.Errorf("m.mentions = %v, want {}", ev.Content["m.mentions"])
	}
	golden(t, "alert_diff_hostile.golden.json", indentJSON(t, ev.Raw))
}

// A revision's update says what the revision added, in its heading and
// its lines, as the homeserver receives the event.
func TestSendShowsWhatARevisionAdded(t *testing.T) {
	ev, fb, body := sendInThread(t, 4, bottest.RevisionDiff())
	for _, want := range []string{"<strong>Rev.1 adds 1 sentence, removes 1</strong>",
		"<li>+ ITU shall coordinate the allocation of <strong>IPv6</strong> address blocks to Member States.</li>"} {
		if !strings.Contains(fb, want) {
			t.Errorf("formatted_body lacks %q:\n%s", want, fb)
		}
	}
	if !strings.Contains(body, "Rev.1 adds 1 sentence, removes 1") {
		t.Errorf("body lacks the revision heading:\n%s", body)
	}
	golden(t, "alert_diff_revision.golden.json", indentJSON(t, ev.Raw))
}

// sendInThread sends an update in the thread of its first alert to the
// fake homeserver and returns the event it received, its HTML (checked
// for live markup) and its plain body.
func sendInThread(t *testing.T, deliveryID int64, a model.Alert) (ev sentEvent, fb, body string) {
	t.Helper()
	f := newFakeHomeserver(t)
	c, _ := newTestClient(t, f, newMemState(), nil)
	msg := notify.Outgoing{DeliveryID: deliveryID, Alert: a, Target: alertsRoom, ThreadID: "$root1", Attempt: 1}
	if _, err := c.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ev = f.waitSent(t)
	fb, _ = ev.Content["formatted_body"].(string)
	body, _ = ev.Content["body"].(string)
	checkHTML(t, fb)
	return ev, fb, body
}
