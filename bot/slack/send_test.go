package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// newTestClient builds a Client against f, logging into logs (checked for
// tokens by the caller when it cares) with pacing off unless set.
func newTestClient(t *testing.T, f *fakeSlack, mod func(*Options)) (*Client, *bytes.Buffer) {
	t.Helper()
	logs := &bytes.Buffer{}
	opts := Options{
		BotToken:    testBotToken,
		AppToken:    testAppToken,
		APIURL:      f.apiURL(),
		Admins:      []string{"UALICE01"},
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MinInterval: -1,
	}
	if mod != nil {
		mod(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		for _, tok := range []string{testBotToken, testAppToken} {
			if strings.Contains(logs.String(), tok) {
				t.Errorf("a token appears in the logs:\n%s", logs)
			}
		}
	})
	return c, logs
}

func sampleAlert() model.Alert {
	return model.Alert{
		ID:   42,
		Kind: model.AlertNew,
		Item: model.Item{
			SourceID:  "itu-council",
			ID:        "C25-51",
			Title:     "Draft resolution on future networks & New IP",
			Link:      "https://www.itu.int/md/S25-CL-C-0051/en",
			Published: time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC),
			Document: &model.DocumentRef{Number: "C25/51", Revision: "Rev.1",
				Proposers: []string{"Russian Federation", "RCC", "<!here> & *Acme* <@U1>"}},
		},
		Matches: []model.Match{
			{
				Topic: "new-ip", TopicName: "New IP", Severity: model.SeverityHigh,
				Annotation: "A top-down redesign of Internet protocols at the ITU, outside the IETF.",
				Snippets: []model.Snippet{{Field: "content", Parts: []model.SnippetPart{
					{Text: "…asks Study Group 13 to study "},
					{Text: "New IP", Hit: true},
					{Text: " for 2030 networks…"},
				}}},
			},
			{
				Topic: "dns", TopicName: "Names and numbers", Severity: model.SeverityMedium,
				Annotation: "ITU work on Internet identifiers overlaps ICANN's remit.",
				Hits:       []model.Hit{{Term: "domain name", Text: "domain names", Field: "title"}},
			},
		},
		AlsoReportedBy: []string{"policy-news"},
		CreatedAt:      time.Now().Add(time.Minute), // newer than any test client
	}
}

func outgoing(a model.Alert) notify.Outgoing {
	return notify.Outgoing{DeliveryID: 7, Alert: a, Target: "#itu-alerts", Attempt: 1}
}

// postedBlocks decodes the blocks of a chat.postMessage form.
func postedBlocks(t *testing.T, form map[string][]string) []map[string]any {
	t.Helper()
	var blocks []map[string]any
	raw := ""
	if v := form["blocks"]; len(v) > 0 {
		raw = v[0]
	}
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		t.Fatalf("blocks are not JSON: %v\n%s", err, raw)
	}
	return blocks
}

// texts collects every text object of the blocks with its type.
func texts(blocks []map[string]any) []map[string]any {
	var out []map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if typ, _ := x["type"].(string); (typ == "mrkdwn" || typ == "plain_text") && x["text"] != nil {
				out = append(out, x)
				return
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, b := range blocks {
		walk(b)
	}
	return out
}

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
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func prettyBlocks(t *testing.T, form map[string][]string) []byte {
	t.Helper()
	// Re-encoded without HTML escaping so that the golden file shows the
	// mrkdwn as Slack receives it: <url|label>, &lt;, &amp;.
	var v any
	if err := json.Unmarshal([]byte(form["blocks"][0]), &v); err != nil {
		t.Fatal(err)
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

func TestSendPostsAlertBlocks(t *testing.T) {
	tests := []struct {
		name   string
		golden string
		edit   func(*notify.Outgoing)
	}{
		{"new alert", "alert_new.golden.json", func(*notify.Outgoing) {}},
		{"update in thread", "alert_update.golden.json", func(o *notify.Outgoing) {
			o.Alert.ID = 43
			o.Alert.Kind = model.AlertUpdate
			o.Alert.ParentID = 42
			o.Alert.Change = "revised (Rev.2)"
			o.Alert.Item.Document.Revision = "Rev.2"
			o.ThreadID = "1700000000.000001"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			c, _ := newTestClient(t, f, nil)
			out := outgoing(sampleAlert())
			tt.edit(&out)
			ts, err := c.Send(context.Background(), out)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			posts := f.acceptedPosts()
			if len(posts) != 1 {
				t.Fatalf("%d posts, want 1", len(posts))
			}
			p := posts[0]
			if ts == "" {
				t.Error("Send returned no ts")
			}
			if got := p.Get("thread_ts"); got != out.ThreadID {
				t.Errorf("thread_ts = %q, want %q", got, out.ThreadID)
			}
			if p.Get("unfurl_links") != "false" || p.Get("unfurl_media") != "false" {
				t.Errorf("unfurling not off: unfurl_links=%q unfurl_media=%q", p.Get("unfurl_links"), p.Get("unfurl_media"))
			}
			if p.Get("text") == "" {
				t.Error("no fallback text")
			}
			var meta slack.SlackMetadata
			if err := json.Unmarshal([]byte(p.Get("metadata")), &meta); err != nil {
				t.Fatalf("metadata: %v", err)
			}
			if meta.EventType != MetadataEventType || !sameID(meta.EventPayload["delivery_id"], 7) || !sameID(meta.EventPayload["alert_id"], out.Alert.ID) {
				t.Errorf("metadata = %+v", meta)
			}
			if f.count("conversations.history") != 0 {
				t.Error("a fresh first attempt read the channel history")
			}
			golden(t, tt.golden, prettyBlocks(t, p))
		})
	}
}

var anyAngle = regexp.MustCompile(`<[^>]*>`)

func TestSendEscapesHostileFeedText(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	a := sampleAlert()
	a.Item.Title = "<!channel> vote now <!here|here>"
	a.Item.Link = "https://www.itu.int/md/x?a=1&b=<2>|3"
	a.Item.SourceID = "src <@U999>"
	a.Item.Document.Number = "<!everyone>"
	a.Kind = model.AlertUpdate
	a.ParentID = 1
	a.Change = "title changed to <https://evil.example|click>"
	a.AlsoReportedBy = []string{"<!subteam^S1>", "@here"}
	a.Matches[0].TopicName = "New IP <@U123>"
	a.Matches[0].Annotation = "see <https://evil.example|click here>\n> <!channel>"
	a.Matches[0].Snippets[0].Parts = []model.SnippetPart{
		{Text: "ping <@U123> and "},
		{Text: "<!subteam^S1>", Hit: true},
		{Text: " then <https://evil.example|click> @channel #general"},
	}
	if _, err := c.Send(context.Background(), outgoing(a)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	p := f.acceptedPosts()[0]
	all := texts(postedBlocks(t, p))
	for _, tx := range all {
		s := tx["text"].(string)
		if tx["type"] == "mrkdwn" && tx["verbatim"] != true {
			t.Errorf("mrkdwn text without verbatim, Slack would auto-parse it: %q", s)
		}
		for _, m := range anyAngle.FindAllString(s, -1) {
			if !strings.HasPrefix(m, "<https://www.itu.int/md/x?") {
				t.Errorf("live markup %q in %q", m, s)
			}
		}
	}
	var joinedText []string
	for _, tx := range all {
		joinedText = append(joinedText, tx["text"].(string))
	}
	joined := []byte(strings.Join(joinedText, "\n"))
	for _, bad := range []string{"<!channel>", "<!here", "<@U123>", "<@U999>", "<!subteam^S1>", "<https://evil", "<!everyone>"} {
		if bytes.Contains(joined, []byte(bad)) || strings.Contains(p.Get("text"), bad) {
			t.Errorf("%q survived unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;!channel&gt; vote now", "&lt;@U123&gt;", "&lt;!subteam^S1&gt;", "&lt;https://evil.example|click&gt;"} {
		if !bytes.Contains(joined, []byte(want)) {
			t.Errorf("escaped form %q missing from %s", want, joined)
		}
	}
	// The link keeps its target but cannot end early or smuggle a label.
	if !bytes.Contains(joined, []byte("<https://www.itu.int/md/x?a=1&amp;b=%3C2%3E%7C3|")) {
		t.Errorf("link not escaped as expected: %s", joined)
	}
	if strings.Contains(p.Get("text"), "<") {
		t.Errorf("fallback text has live markup: %q", p.Get("text"))
	}
}

func TestSendNeverLinksUnsafeURLs(t *testing.T) {
	for _, link := range []string{"javascript:alert(1)", "slack://open", "https://user:pw@www.itu.int/", "/relative/path", "mailto:a@b.c", "data:text/html,hi"} {
		if got, ok := linkURL(link); ok {
			t.Errorf("linkURL(%q) = %q, want refused", link, got)
		}
	}
	if _, ok := linkURL("HTTPS://www.itu.int/en/"); !ok {
		t.Error("an https URL was refused")
	}
}

func TestRenderAlertStaysInsideSlackLimits(t *testing.T) {
	a := sampleAlert()
	long := strings.Repeat("Résolution & <amendement> 🌐 ", 400) // multibyte, escapes, astral runes
	a.Item.Title = long
	a.Item.Link = "https://www.itu.int/" + strings.Repeat("a", 5000) // too long to link
	a.Change = long
	a.Kind = model.AlertUpdate
	a.ParentID = 1
	for range 60 {
		a.Matches = append(a.Matches, model.Match{
			Topic: "t", TopicName: long[:90], Severity: model.SeverityCritical, Annotation: long,
			Snippets: []model.Snippet{{Parts: []model.SnippetPart{{Text: long}, {Text: long, Hit: true}, {Text: long}}}},
		})
	}
	for range 100 {
		a.AlsoReportedBy = append(a.AlsoReportedBy, long[:40])
	}
	blocks, text := renderAlert(render.NewAlertView(a, render.ViewOptions{}))
	if title := blocks[1].(*slack.SectionBlock).Text.Text; units(title) < maxSectionText-10 || !strings.HasSuffix(title, "…*") { // the URL is too long to link
		t.Errorf("long title not cut near the limit: %d units, ends %q", units(title), title[len(title)-20:])
	}
	if len(blocks) > maxBlocks {
		t.Errorf("%d blocks, Slack allows %d", len(blocks), maxBlocks)
	}
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var decoded []map[string]any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	for _, tx := range texts(decoded) {
		s := tx["text"].(string)
		limit := maxSectionText
		if tx["type"] == "plain_text" {
			limit = maxHeaderText
		}
		if n := units(s); n > limit || n == 0 {
			t.Errorf("text of %d units (limit %d)", n, limit)
		}
		if !utf8.ValidString(s) {
			t.Error("text cut inside a rune")
		}
		stripped := strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(s)
		if strings.Contains(stripped, "&") {
			t.Errorf("text cut inside an entity: …%q", s[max(0, len(s)-40):])
		}
		if unquoted := strings.ReplaceAll(s, "\n> ", "\n"); strings.Count(unquoted, "<") != strings.Count(unquoted, ">") {
			t.Errorf("unbalanced link markup: …%q", s[max(0, len(s)-40):])
		}
		if strings.Count(s, "*")%2 != 0 {
			t.Errorf("bold left open: …%q", s[max(0, len(s)-40):])
		}
	}
	if units(text) > 3*maxFallback {
		t.Errorf("fallback text is %d units", units(text))
	}
}

func TestSendRateLimited(t *testing.T) {
	f := newFakeSlack(t)
	f.failPost = func(n int, w http.ResponseWriter) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	}
	c, _ := newTestClient(t, f, nil)
	out := outgoing(sampleAlert())
	_, err := c.Send(context.Background(), out)
	wait, ok := notify.RetryAfter(err)
	if !ok || wait != 2*time.Second {
		t.Fatalf("Send error = %v; want a RetryAfterError of 2s, got %v %v", err, wait, ok)
	}
	if notify.IsPermanent(err) {
		t.Error("a rate limit was marked permanent")
	}
	// The dispatcher waits and retries: the retry checks the channel, finds
	// nothing (the 429 posted nothing) and delivers exactly once.
	out.Attempt = 2
	ts, err := c.Send(context.Background(), out)
	if err != nil || ts == "" {
		t.Fatalf("retry: ts %q, err %v", ts, err)
	}
	if n := len(f.acceptedPosts()); n != 1 {
		t.Errorf("%d messages in Slack, want exactly 1", n)
	}
	if f.count("conversations.history") != 1 {
		t.Errorf("the retry did not check history first")
	}
}

func TestSendClassifiesErrors(t *testing.T) {
	slackErr := func(code string) func(int, http.ResponseWriter) bool {
		return func(_ int, w http.ResponseWriter) bool { slackError(w, code); return true }
	}
	status := func(code int) func(int, http.ResponseWriter) bool {
		return func(_ int, w http.ResponseWriter) bool { w.WriteHeader(code); return true }
	}
	tests := []struct {
		name    string
		target  string
		fail    func(int, http.ResponseWriter) bool
		outcome string // permanent, held (bot not in the channel yet) or retry
		say     string // in the error a user sees
	}{
		{"unknown channel", "#nowhere", nil, "held", "#nowhere"},
		{"channel_not_found", "#itu-alerts", slackErr("channel_not_found"), "held", "if it is private, invite the bot there with /invite @ituwatch; otherwise check the channel name"},
		{"not_in_channel", "#itu-alerts", slackErr("not_in_channel"), "held", "the bot is not in the Slack channel #itu-alerts yet: invite it there with /invite @ituwatch"},
		{"restricted_action", "#itu-alerts", slackErr("restricted_action"), "permanent", "ask a Slack admin"},
		{"is_archived", "C0POLICY1", slackErr("is_archived"), "permanent", "archived"},
		{"invalid_auth", "#itu-alerts", slackErr("invalid_auth"), "held", "SLACK_BOT_TOKEN"},
		{"account_inactive", "#itu-alerts", slackErr("account_inactive"), "held", "reinstall"},
		{"token_revoked", "#itu-alerts", slackErr("token_revoked"), "held", "alerts wait until then"},
		{"missing_scope", "#itu-alerts", func(_ int, w http.ResponseWriter) bool {
			writeJSON(w, map[string]any{"ok": false, "error": "missing_scope", "needed": "chat:write"})
			return true
		}, "permanent", "chat:write"},
		{"msg_too_long", "#itu-alerts", slackErr("msg_too_long"), "permanent", "bug in ituwatch"},
		{"internal_error", "#itu-alerts", slackErr("internal_error"), "retry", "internal_error"},
		{"HTTP 503", "#itu-alerts", status(http.StatusServiceUnavailable), "retry", "503"},
		{"HTTP 500", "#itu-alerts", status(http.StatusInternalServerError), "retry", "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			f.failPost = tt.fail
			c, _ := newTestClient(t, f, nil)
			out := outgoing(sampleAlert())
			out.Target = tt.target
			_, err := c.Send(context.Background(), out)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			got := "retry"
			switch {
			case notify.IsPermanent(err) && notify.IsHeld(err):
				got = "both permanent and held"
			case notify.IsPermanent(err):
				got = "permanent"
			case notify.IsHeld(err):
				got = "held"
			}
			if got != tt.outcome {
				t.Errorf("classified %s, want %s (err %v)", got, tt.outcome, err)
			}
			if _, ok := notify.RetryAfter(err); ok {
				t.Errorf("unexpected RetryAfter in %v", err)
			}
			if !strings.Contains(err.Error(), tt.say) {
				t.Errorf("error %q does not say %q", err, tt.say)
			}
			if strings.Contains(err.Error(), testBotToken) {
				t.Errorf("token in error %q", err)
			}
		})
	}
}

func TestSendNetworkErrorIsRetried(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	f.srv.Stop() // connection refused from now on
	_, err := c.Send(context.Background(), outgoing(sampleAlert()))
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	if _, ok := notify.RetryAfter(err); ok {
		t.Errorf("a network error asked for a specific wait: %v", err)
	}
	if strings.Contains(err.Error(), testBotToken) {
		t.Errorf("token in error %q", err)
	}
}

func TestSendRecoversEarlierPost(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	ctx := context.Background()

	// Slack accepted the first attempt but the store never heard of it.
	first := outgoing(sampleAlert())
	ts1, err := c.Send(ctx, first)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		edit     func(*notify.Outgoing)
		wantTS   string // "" means a new post is expected
		wantRead string
	}{
		{"retry of the same delivery", func(o *notify.Outgoing) { o.Attempt = 2 }, ts1, "conversations.history"},
		{"attempt 1 after a restart", func(o *notify.Outgoing) { o.Alert.CreatedAt = time.Now().Add(-time.Hour) }, ts1, "conversations.history"},
		{"another delivery", func(o *notify.Outgoing) { o.Attempt = 3; o.DeliveryID = 8 }, "", "conversations.history"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.acceptedPosts())
			reads := f.count(tt.wantRead)
			out := first
			tt.edit(&out)
			ts, err := c.Send(ctx, out)
			if err != nil {
				t.Fatal(err)
			}
			if f.count(tt.wantRead) != reads+1 {
				t.Errorf("%s not consulted", tt.wantRead)
			}
			posted := len(f.acceptedPosts()) - before
			if tt.wantTS != "" {
				if ts != tt.wantTS || posted != 0 {
					t.Errorf("got ts %q and %d new posts; want the earlier ts %q and no post", ts, posted, tt.wantTS)
				}
			} else if posted != 1 {
				t.Errorf("%d new posts, want 1", posted)
			}
		})
	}

	t.Run("thread reply found in replies", func(t *testing.T) {
		upd := outgoing(sampleAlert())
		upd.DeliveryID = 9
		upd.ThreadID = ts1
		tsUpd, err := c.Send(ctx, upd)
		if err != nil {
			t.Fatal(err)
		}
		before := len(f.acceptedPosts())
		upd.Attempt = 2
		got, err := c.Send(ctx, upd)
		if err != nil {
			t.Fatal(err)
		}
		if got != tsUpd || len(f.acceptedPosts()) != before {
			t.Errorf("got %q (%d new posts), want the earlier reply %q", got, len(f.acceptedPosts())-before, tsUpd)
		}
		if f.count("conversations.replies") != 1 {
			t.Errorf("conversations.replies called %d times, want 1", f.count("conversations.replies"))
		}
	})
}

// fakeTimer hands out channels the test fires, recording the waits asked for.
type fakeTimer struct {
	waits chan time.Duration
	fire  chan time.Time
}

func (ft *fakeTimer) after(d time.Duration) <-chan time.Time {
	ft.waits <- d
	return ft.fire
}

func TestSendPacesPerChannel(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, func(o *Options) { o.MinInterval = 0 }) // the default, 1s
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	ft := &fakeTimer{waits: make(chan time.Duration, 4), fire: make(chan time.Time)}
	c.after = ft.after
	ctx := context.Background()

	if _, err := c.Send(ctx, outgoing(sampleAlert())); err != nil {
		t.Fatal(err)
	}
	other := outgoing(sampleAlert())
	other.Target = "#policy"
	if _, err := c.Send(ctx, other); err != nil {
		t.Fatal(err)
	}
	if len(ft.waits) != 0 {
		t.Fatalf("first posts to two channels waited %v", <-ft.waits)
	}

	done := make(chan error, 1)
	go func() {
		_, err := c.Send(ctx, outgoing(sampleAlert()))
		done <- err
	}()
	if d := <-ft.waits; d != time.Second {
		t.Errorf("second post to the same channel waits %v, want 1s", d)
	}
	if n := len(f.acceptedPosts()); n != 2 {
		t.Errorf("%d posts before the wait ended, want 2", n)
	}
	ft.fire <- now
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(f.acceptedPosts()); n != 3 {
		t.Errorf("%d posts, want 3", n)
	}

	// A cancelled context ends the wait.
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		_, err := c.Send(cctx, outgoing(sampleAlert()))
		done <- err
	}()
	<-ft.waits
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestNewRejectsWrongTokens(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		say  string
	}{
		{"no bot token", Options{}, "SLACK_BOT_TOKEN"},
		{"user token", Options{BotToken: "xoxp-1234-secret"}, `"xoxp-"`},
		{"bot token as app token", Options{BotToken: testBotToken, AppToken: "xoxb-9-secret"}, "SLACK_APP_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.say) {
				t.Fatalf("err = %v, want it to mention %s", err, tt.say)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the token: %v", err)
			}
		})
	}
}

// The notifier contract, checked at compile time.
var _ notify.Notifier = (*Client)(nil)
