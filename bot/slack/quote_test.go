package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// hl is a quotation whose odd parts are hits: "before", "HIT", "after", ...
func hl(ps ...string) render.Highlight { return render.Highlight(bottest.Parts(ps...)) }

// hostileQuote tries every mrkdwn trick a feed could: mentions, a link,
// bold, italic, strike and code spans, and a hit inside a word.
var hostileQuote = hl("<!channel> *FREE* _now_ ~gone~ `code` <https://evil.example|click> @room <b>x</b> ", "ITU", "-T says *more*")

// searchReply is what the router answers to "search New IP".
func searchReply() chat.Reply {
	return chat.Reply{
		Title: `Best 2 results for "New IP"`,
		Lines: []chat.ReplyLine{
			{Text: "TSAG debates New IP", URL: "https://www.itu.int/md/T22-TSAG-C-0123", Note: "#42 · new-ip · ITU News · 2026-11-20", Quote: hl("…the so-called ", "New IP", " proposal, first floated at ", "FG-NET2030", ", returns…")},
			{Text: "Evil", Note: "no alert · evilfeed", Quote: hostileQuote},
		},
		Footer: "explain <number> shows why an alert matched",
	}
}

func TestQuoteMrkdwn(t *testing.T) {
	tests := []struct {
		name string
		in   render.Highlight
		want string
	}{
		{"words", hl("the so-called ", "New IP", " proposal"), "the so-called *New IP* proposal"},
		{"hit inside a word is widened", hl("", "ITU", "-T and ", "IP", "v6"), "*ITU-T* and *IPv6*"},
		{"hit after punctuation", hl("(", "New IP", "), «", "FG-NET2030", "»"), "(*New IP*), «*FG-NET2030*»"},
		{"adjacent hits", hl("a ", "redesigned", " ", "network layer", ""), "a *redesigned* *network layer*"},
		{"hostile", hostileQuote, "&lt;!channel&gt; ∗FREE∗ ˍnowˍ ∼gone∼ ˋcodeˋ &lt;https://evil.example|click&gt; @room &lt;b&gt;x&lt;/b&gt; *ITU-T* says ∗more∗"},
		{"harmless characters stay", hl("snake_case and a * b, x*y ", "hit", ""), "snake_case and a * b, x*y *hit*"},
	}
	for _, tt := range tests {
		m := newMrkdwn(maxSectionText)
		m.quote(tt.in)
		if got := m.String(); got != tt.want {
			t.Errorf("%s: quote =\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
}

func TestRenderSearchReplyGolden(t *testing.T) {
	raw, err := json.Marshal(RenderReply(searchReply()))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "reply_search.golden.json", prettyBlocks(t, map[string][]string{"blocks": {string(raw)}}))
}

type searchHandler struct{}

func (searchHandler) Handle(context.Context, chat.Request) chat.Reply { return searchReply() }

// A search answered over Socket Mode shows the matched words in mrkdwn bold,
// never as **markers**, and nothing a feed wrote can mention, link or format.
func TestSlashSearchShowsHitsInBoldAndNothingElse(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	listenErr := make(chan error, 1)
	go func() { listenErr <- c.Listen(ctx, searchHandler{}, nil) }()
	defer func() {
		cancel()
		if err := within(t, listenErr, "Listen to return"); err != nil {
			t.Errorf("Listen: %v", err)
		}
	}()
	s := newSocketScript(t, within(t, f.socket, "the Socket Mode connection"))
	s.send(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A0APP"}})
	s.send(slashEnvelope("env-1", "UALICE01", "search New IP", fmt.Sprintf("http://%s/response/1", f.srv.ServerAddr)))
	s.expectAck("env-1")
	body := within(t, f.responses, "the search reply")
	var reply struct {
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(body, &reply); err != nil {
		t.Fatalf("response_url body: %v\n%s", err, body)
	}
	all := ""
	for _, tx := range texts(reply.Blocks) {
		all += tx["text"].(string) + "\n"
	}
	for _, want := range []string{"«…the so-called *New IP* proposal, first floated at *FG-NET2030*, returns…»", "*ITU-T* says ∗more∗"} {
		if !strings.Contains(all, want) {
			t.Errorf("reply lacks %q:\n%s", want, all)
		}
	}
	for _, bad := range []string{"**", "<!channel>", "<https://evil", "*FREE*", "_now_", "~gone~", "`code`", "<b>"} {
		if strings.Contains(all, bad) {
			t.Errorf("reply has %q:\n%s", bad, all)
		}
	}
}

func TestOneMoreTopicIsSingular(t *testing.T) {
	a := model.Alert{ID: 7, Item: model.Item{Title: "t"}}
	for i := range maxMatchBlocks + 1 {
		a.Matches = append(a.Matches, model.Match{Topic: fmt.Sprintf("t%d", i)})
	}
	blocks, _ := renderAlert(render.NewAlertView(a, render.ViewOptions{}))
	raw, _ := json.Marshal(blocks)
	if !strings.Contains(string(raw), "1 more topic matched; see alert #7") {
		t.Errorf("no singular \"1 more topic matched\" in %s", raw)
	}
}

// An alert on a topic the channel was already told about today carries a
// one-line pointer to /itu explain instead of the paragraph; other topics
// keep theirs.
func TestSendShortensWhyAlreadyExplainedToday(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	out := outgoing(sampleAlert())
	why := out.Alert.Matches[0].Annotation
	other := out.Alert.Matches[1].Annotation
	out.Explained = map[string]bool{out.Alert.Matches[0].Topic: true}
	if _, err := c.Send(context.Background(), out); err != nil {
		t.Fatalf("Send: %v", err)
	}
	posts := f.acceptedPosts()
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	blocks := posts[0].Get("blocks")
	if strings.Contains(blocks, why) || !strings.Contains(blocks, other) {
		t.Errorf("want the second topic's paragraph only:\n%s", blocks)
	}
	if want := "why it matters: as in today's first alert on this topic; /itu explain 42 repeats it"; !strings.Contains(blocks, want) {
		t.Errorf("blocks lack %q:\n%s", want, blocks)
	}
	golden(t, "alert_explained.golden.json", prettyBlocks(t, posts[0]))
}

// The help's "subscribe <topic> or *" keeps its asterisk: alone between
// spaces it cannot format anything, and users type what they read.
func TestHelpKeepsTheLoneAsterisk(t *testing.T) {
	blocks := RenderReply(chat.Reply{Title: "ituwatch commands", Lines: []chat.ReplyLine{{Text: "subscribe <topic> or *", Note: "send a topic's alerts to this channel (admins)"}, {Text: "*", Note: "every topic"}}})
	raw, _ := json.Marshal(blocks)
	var decoded []map[string]any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	all := ""
	for _, tx := range texts(decoded) {
		all += tx["text"].(string) + "\n"
	}
	for _, want := range []string{"subscribe &lt;topic&gt; or * · send", "• * · every topic"} {
		if !strings.Contains(all, want) {
			t.Errorf("help lacks %q:\n%s", want, all)
		}
	}
}
