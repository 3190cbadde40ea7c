package matrix

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/bot/render"
)

// hl is a quotation whose odd parts are hits: "before", "HIT", "after", ...
func hl(ps ...string) render.Highlight { return render.Highlight(bottest.Parts(ps...)) }

func searchReply() chat.Reply {
	return chat.Reply{
		Title: `Best 2 results for "New IP"`,
		Lines: []chat.ReplyLine{
			{Text: "TSAG debates New IP", URL: "https://www.itu.int/md/T22-TSAG-C-0123", Note: "#42 · new-ip · ITU News", Quote: hl("…the so-called ", "New IP", " proposal, first floated at ", "FG-NET2030", ", returns…")},
			{Text: "Evil", Note: "no alert", Quote: hl("<!channel> *FREE* _now_ @room <script>alert(1)</script> <a href=\"javascript:x\">y</a> ", "New IP</strong><img src=x>", " **more**")},
		},
		Footer: "explain <number> shows why an alert matched",
	}
}

// A search answered over the client-server API shows the matched words in
// <strong> in formatted_body and as they are in body: no ** markers, and
// nothing a feed wrote becomes markup or a ping.
func TestSearchReplyOverTheWire(t *testing.T) {
	f := newFakeHomeserver(t)
	state := newMemState()
	state.kv[stateNextBatch] = "s0"
	c, _ := newTestClient(t, f, state, nil)
	h := &fakeHandler{reply: searchReply()}
	f.push(joinRooms(alertsRoom, nil, msgEvent("@bob:example.org", "m.text", "!itu search New IP")))
	listen(t, c, h)
	ev := f.waitSent(t)

	body, _ := ev.Content["body"].(string)
	fb, _ := ev.Content["formatted_body"].(string)
	for _, want := range []string{"«…the so-called <strong>New IP</strong> proposal, first floated at <strong>FG-NET2030</strong>, returns…»", "<strong>New IP&lt;/strong&gt;&lt;img src=x&gt;</strong>"} {
		if !strings.Contains(fb, want) {
			t.Errorf("formatted_body lacks %q:\n%s", want, fb)
		}
	}
	if want := "«…the so-called New IP proposal, first floated at FG-NET2030, returns…»"; !strings.Contains(body, want) {
		t.Errorf("body lacks %q:\n%s", want, body)
	}
	if strings.Contains(body, "**New IP") || strings.Contains(body, "**Best") {
		t.Errorf("body has markers of ours:\n%s", body)
	}
	checkHTML(t, fb)
	if strings.Contains(strings.ToLower(body), "@room") {
		t.Errorf("body pings @room:\n%s", body)
	}
	if n := strings.Count(fb, "<strong>"); n != 4 {
		t.Errorf("formatted_body has %d <strong>, want 4 (title and three hits):\n%s", n, fb)
	}
}

func TestSearchReplyGolden(t *testing.T) {
	raw, err := json.Marshal(replyContent(searchReply()))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "reply_search.golden.json", indentJSON(t, raw))
}

// An alert on a topic the room was already told about today carries a
// one-line pointer to !itu explain instead of the paragraph, in body and
// formatted_body; other topics keep theirs.
func TestSendShortensWhyAlreadyExplainedToday(t *testing.T) {
	f := newFakeHomeserver(t)
	c, _ := newTestClient(t, f, newMemState(), nil)
	a := hostileAlert()
	a.Matches[1].Annotation = "Root zone politics."
	msg := notify.Outgoing{DeliveryID: 1, Alert: a, Target: alertsRoom, Attempt: 1, Explained: map[string]bool{"new-ip": true}}
	if _, err := c.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ev := f.waitSent(t)
	body, _ := ev.Content["body"].(string)
	fb, _ := ev.Content["formatted_body"].(string)
	want := "first alert on this topic; !itu explain 42 repeats it"
	for name, s := range map[string]string{"body": body, "formatted_body": fb} {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %q:\n%s", name, want, s)
		}
		if strings.Contains(s, "Top-down network design") {
			t.Errorf("%s still has the paragraph:\n%s", name, s)
		}
		if !strings.Contains(s, "Why it matters: Root zone politics.") {
			t.Errorf("%s: want the other topic's paragraph too:\n%s", name, s)
		}
	}
	golden(t, "alert_explained.golden.json", indentJSON(t, ev.Raw))
}
