package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// indentJSON re-encodes event content readably: indented, keys sorted, and
// without \u003c escapes so that reviewers see the markup as sent.
func indentJSON(t *testing.T, raw []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkHTML fails unless body holds only the elements Matrix clients render,
// no attribute but an http(s) href on links, and no working @room.
func checkHTML(t *testing.T, body string) {
	t.Helper()
	allowed := map[string]bool{"a": true, "strong": true, "b": true, "em": true, "i": true, "code": true, "pre": true, "br": true, "p": true, "ul": true, "ol": true, "li": true, "blockquote": true, "h4": true, "del": true}
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !allowed[tok.Data] {
				t.Errorf("element <%s> in %s", tok.Data, body)
			}
			for _, a := range tok.Attr {
				if tok.Data != "a" || a.Key != "href" || !(strings.HasPrefix(a.Val, "https://") || strings.HasPrefix(a.Val, "http://")) {
					t.Errorf("attribute %s=%q on <%s> in %s", a.Key, a.Val, tok.Data, body)
				}
			}
		case html.TextToken:
			if strings.Contains(strings.ToLower(string(z.Text())), "@room") {
				t.Errorf("text pings @room: %q", z.Text())
			}
		}
	}
}

// hostileAlert carries feed text that tries to ping, script, link to
// javascript and load images.
func hostileAlert() model.Alert {
	return model.Alert{
		ID:   42,
		Kind: model.AlertNew,
		Item: model.Item{
			SourceID:  "itu-council",
			ID:        "C20-51",
			Title:     `New IP @room <script>alert(1)</script> & "quotes"`,
			Link:      "https://www.itu.int/md/S26-CL-C-0051/en",
			Published: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
			Document: &model.DocumentRef{Number: "C20/51", Revision: "Rev.1", Languages: []string{"E", "F"},
				Proposers: []string{"Russian Federation", "<b>RCC</b> & @room"}},
		},
		Matches: []model.Match{
			{
				Topic: "new-ip", TopicName: "New IP", Severity: model.SeverityHigh, Score: 5,
				Annotation: `Top-down network design; see <a href="javascript:alert(1)">x</a>`,
				Snippets: []model.Snippet{{Field: "summary", Parts: []model.SnippetPart{
					{Text: "The proposal on "},
					{Text: "New IP", Hit: true},
					{Text: ` <img src=x onerror=alert(1)> would let @room know `},
				}}},
			},
			{
				Topic: "dns-root", TopicName: "DNS root", Severity: model.SeverityMedium, Score: 2.5,
				Hits: []model.Hit{{Term: "alternative root", Text: "Alternative <b>root</b>"}},
			},
		},
		AlsoReportedBy: []string{"<i>Outlet</i>", "@room news"},
	}
}

func TestSendHostileAlertIsNeutralised(t *testing.T) {
	f := newFakeHomeserver(t)
	c, _ := newTestClient(t, f, newMemState(), nil)
	a := hostileAlert()
	a.Item.Link = "javascript:alert(1)" // not even the title link may be one
	id, err := c.Send(context.Background(), notify.Outgoing{DeliveryID: 7, Alert: a, Target: alertsRoom, Attempt: 1})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	ev := f.waitSent(t)
	if id != ev.EventID {
		t.Errorf("Send returned %q, want the event id %q", id, ev.EventID)
	}
	body, _ := ev.Content["body"].(string)
	fb, _ := ev.Content["formatted_body"].(string)
	checkHTML(t, fb)
	for _, shown := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;"} {
		if !strings.Contains(fb, shown) {
			t.Errorf("formatted_body does not show the feed's markup as text %q: %s", shown, fb)
		}
	}
	if strings.Contains(body, "@room") {
		t.Errorf("body still pings @room: %s", body)
	}
	if m, ok := ev.Content["m.mentions"].(map[string]any); !ok || len(m) != 0 {
		t.Errorf("m.mentions = %v, want {}", ev.Content["m.mentions"])
	}
	if ev.Content["msgtype"] != "m.notice" || ev.Content["format"] != "org.matrix.custom.html" {
		t.Errorf("msgtype %v format %v, want m.notice with org.matrix.custom.html", ev.Content["msgtype"], ev.Content["format"])
	}
	golden(t, "alert_hostile.golden.json", indentJSON(t, ev.Raw))
}

func TestSendGolden(t *testing.T) {
	tests := []struct {
		name   string
		golden string
		msg    notify.Outgoing
	}{
		{name: "new", golden: "alert_new.golden.json", msg: notify.Outgoing{DeliveryID: 1, Alert: hostileAlert(), Target: alertsRoom, Attempt: 1}},
		{name: "update in thread", golden: "alert_update.golden.json", msg: notify.Outgoing{
			DeliveryID: 2, Target: alertsRoom, ThreadID: "$root1", Attempt: 1,
			Alert: func() model.Alert {
				a := hostileAlert()
				a.ID, a.Kind, a.ParentID, a.Change = 43, model.AlertUpdate, 42, "revised (Rev.2)"
				a.AlsoReportedBy = nil
				return a
			}(),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeHomeserver(t)
			c, _ := newTestClient(t, f, newMemState(), nil)
			if _, err := c.Send(context.Background(), tt.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			ev := f.waitSent(t)
			if tt.msg.ThreadID != "" {
				rel, _ := ev.Content["m.relates_to"].(map[string]any)
				irt, _ := rel["m.in_reply_to"].(map[string]any)
				if rel["rel_type"] != "m.thread" || rel["event_id"] != tt.msg.ThreadID || rel["is_falling_back"] != true || irt["event_id"] != tt.msg.ThreadID {
					t.Errorf("m.relates_to = %v, want a falling-back thread on %s", rel, tt.msg.ThreadID)
				}
			} else if _, ok := ev.Content["m.relates_to"]; ok {
				t.Errorf("a new alert carries m.relates_to: %v", ev.Content["m.relates_to"])
			}
			golden(t, tt.golden, indentJSON(t, ev.Raw))
		})
	}
}

func TestRetriedSendReusesTransactionID(t *testing.T) {
	f := newFakeHomeserver(t)
	c, _ := newTestClient(t, f, newMemState(), nil)
	// The first request reaches the homeserver, which stores the event, but
	// the answer is lost: the dispatcher sees an error and retries.
	f.failSend = func(n int, w http.ResponseWriter) bool {
		if n == 1 {
			writeJSON(w, 502, map[string]any{"errcode": "M_UNKNOWN", "error": "Bad gateway"})
			return true
		}
		return false
	}
	msg := notify.Outgoing{DeliveryID: 99, Alert: hostileAlert(), Target: alertsRoom, Attempt: 1}
	_, err := c.Send(context.Background(), msg)
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("first attempt: err %v, want a retryable error", err)
	}
	msg.Attempt = 2
	first, err := c.Send(context.Background(), msg)
	if err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	// A third send of the same delivery (a crash before the store recorded
	// it) is deduplicated by the homeserver.
	msg.Attempt = 3
	again, err := c.Send(context.Background(), msg)
	if err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	if again != first {
		t.Errorf("resend returned event %q, want the first event %q", again, first)
	}
	f.mu.Lock()
	txns, events := append([]string(nil), f.sendTxns...), len(f.events)
	f.mu.Unlock()
	if len(txns) != 3 || txns[0] != txns[1] || txns[1] != txns[2] || txns[0] != "itu-d99" {
		t.Errorf("transaction ids %q, want itu-d99 three times", txns)
	}
	if events != 1 {
		t.Errorf("homeserver holds %d events, want 1", events)
	}
}

func TestSendErrors(t *testing.T) {
	// M_FORBIDDEN holds the alerts instead: TestSendForbiddenIsHeld.
	tests := []struct {
		name       string
		status     int
		body       map[string]any
		permanent  bool
		held       bool // people must act (a new token); the alerts wait
		retryAfter time.Duration
		wantText   string
	}{
		{name: "rate limited", status: 429, body: map[string]any{"errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests", "retry_after_ms": 2000}, retryAfter: 2 * time.Second, wantText: "rate limited"},
		{name: "unknown room", status: 404, body: map[string]any{"errcode": "M_NOT_FOUND", "error": "Unknown room"}, permanent: true, wantText: "does not know the room"},
		{name: "token revoked", status: 401, body: map[string]any{"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid access token"}, held: true, wantText: "MATRIX_ACCESS_TOKEN"},
		{name: "server error", status: 500, body: map[string]any{"errcode": "M_UNKNOWN", "error": "Internal server error"}, wantText: "send alert 42 in matrix !alerts:example.org"},
		{name: "gateway", status: 502, body: map[string]any{}, wantText: "HTTP 502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeHomeserver(t)
			c, _ := newTestClient(t, f, newMemState(), nil)
			f.failSend = func(n int, w http.ResponseWriter) bool {
				writeJSON(w, tt.status, tt.body)
				return true
			}
			_, err := c.Send(context.Background(), notify.Outgoing{DeliveryID: 5, Alert: hostileAlert(), Target: alertsRoom, Attempt: 1})
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := notify.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if got := notify.IsHeld(err); got != tt.held {
				t.Errorf("IsHeld = %v, want %v (%v)", got, tt.held, err)
			}
			wait, ok := notify.RetryAfter(err)
			if tt.retryAfter != 0 && (!ok || wait != tt.retryAfter) {
				t.Errorf("RetryAfter = %v, %v; want %v", wait, ok, tt.retryAfter)
			}
			if tt.retryAfter == 0 && ok {
				t.Errorf("RetryAfter = %v, want none", wait)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the access token: %v", err)
			}
		})
	}
}

func TestSendToAlias(t *testing.T) {
	f := newFakeHomeserver(t)
	f.aliases["#itu-alerts:example.org"] = alertsRoom
	c, _ := newTestClient(t, f, newMemState(), nil)
	for i := int64(1); i <= 2; i++ {
		if _, err := c.Send(context.Background(), notify.Outgoing{DeliveryID: i, Alert: hostileAlert(), Target: "#itu-alerts:example.org", Attempt: 1}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		if ev := f.waitSent(t); ev.Room != alertsRoom {
			t.Errorf("sent to %s, want %s", ev.Room, alertsRoom)
		}
	}
	if n := f.count("GET /_matrix/client/v3/directory/room/{alias}"); n != 1 {
		t.Errorf("alias resolved %d times, want once", n)
	}

	_, err := c.Send(context.Background(), notify.Outgoing{DeliveryID: 3, Alert: hostileAlert(), Target: "#nowhere:example.org", Attempt: 1})
	if !notify.IsPermanent(err) || !strings.Contains(err.Error(), "#nowhere:example.org does not exist") {
		t.Errorf("unknown alias: err %v, want a permanent error naming the alias", err)
	}
	_, err = c.Send(context.Background(), notify.Outgoing{DeliveryID: 4, Alert: hostileAlert(), Target: "alerts", Attempt: 1})
	if !notify.IsPermanent(err) {
		t.Errorf("malformed target: err %v, want permanent", err)
	}
}

func TestReplyGolden(t *testing.T) {
	r := chat.Reply{
		Title: "Recent alerts on new-ip <script>",
		Lines: []chat.ReplyLine{
			{Text: "C20/51 @room", URL: "https://www.itu.int/md/S26-CL-C-0051", Note: "itu-council · 2026-03-02 · #42"},
			{Text: "Evil <a href=\"javascript:alert(1)\">x</a>", URL: "javascript:alert(1)", Note: "<img src=x onerror=alert(1)>"},
		},
		Footer: "try: recent new-ip 10",
	}
	raw, err := json.Marshal(replyContent(r))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "reply.golden.json", indentJSON(t, raw))
	checkHTML(t, replyContent(r).FormattedBody)
	errRaw, err := json.Marshal(replyContent(chat.Reply{Title: "Unknown topic \"x\"", Error: true, Footer: "try: topics"}))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "reply_error.golden.json", indentJSON(t, errRaw))
}
