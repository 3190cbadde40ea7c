package slack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/pipeline"
	"github.com/ituwatch/ituwatch/store"
)

// openConversation answers conversations.open for one user as Slack does:
// the id of the direct-message channel with that user, the same each time.
func (f *fakeSlack) openConversation(w http.ResponseWriter, r *http.Request) {
	v, ok := f.form(w, r, "conversations.open")
	if !ok {
		return
	}
	users := v.Get("users")
	if users == "" || strings.Contains(users, ",") {
		slackError(w, "not_enough_users")
		return
	}
	id := "D0DM" + strings.TrimPrefix(users, "U")
	f.mu.Lock()
	f.channels[id] = id // chat.postMessage resolves it like a channel
	f.mu.Unlock()
	writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{"id": id, "is_im": true, "user": users}})
}

type titleMatcher map[string]string // word in the title -> topic

func (m titleMatcher) Match(it *model.Item) []model.Match {
	var out []model.Match
	for w, topic := range m {
		if strings.Contains(it.Title, w) {
			out = append(out, model.Match{Topic: topic, TopicName: topic, Severity: model.SeverityHigh, Score: 3})
		}
	}
	return out
}

type oneRoute []model.Destination

func (r oneRoute) DestinationsFor(string, model.Severity) []model.Destination { return r }

// TestSlackMuteAndFollowOverTheWire: /itu mute and /itu follow over
// Socket Mode reach the store; the next poll's alert on the muted topic is
// not posted in the channel, and the followed document is posted in the
// person's DM, opened with conversations.open.
func TestSlackMuteAndFollowOverTheWire(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	router := chat.NewRouter(chat.RouterOptions{Queries: st, Topics: []chat.TopicInfo{{ID: "new-ip", Name: "New IP"}}, RateLimit: chat.RateLimit{Burst: -1}})

	ctx, cancel := context.WithCancel(context.Background())
	listenErr := make(chan error, 1)
	go func() { listenErr <- c.Listen(ctx, router, nil) }()
	defer func() {
		cancel()
		if err := within(t, listenErr, "Listen to return"); err != nil {
			t.Errorf("Listen: %v", err)
		}
	}()
	s := newSocketScript(t, within(t, f.socket, "the Socket Mode connection"))
	s.send(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A0APP"}})

	command := func(n int, user, text string) string {
		t.Helper()
		s.send(slashEnvelope(fmt.Sprintf("env-%d", n), user, text, fmt.Sprintf("http://%s/response/%d", f.srv.ServerAddr, n)))
		s.expectAck(fmt.Sprintf("env-%d", n))
		return string(within(t, f.responses, "the reply to "+text))
	}
	if body := command(1, "UBOB0001", "mute new-ip for 7d"); !strings.Contains(body, "Only admins") {
		t.Errorf("mute by a member answered %s", body)
	}
	if body := command(2, "UALICE01", "mute new-ip for 7d too noisy"); !strings.Contains(body, "won't be sent alerts on topic new-ip") {
		t.Errorf("mute answered %s", body)
	}
	if body := command(3, "UBOB0001", "follow C26/51"); !strings.Contains(body, "You now follow document C26/51") {
		t.Errorf("follow answered %s", body)
	}
	if mutes, err := st.Mutes(ctx, "slack:"+alertsID, time.Now()); err != nil || len(mutes) != 1 || mutes[0].Reason != "too noisy" {
		t.Fatalf("stored mutes = %+v, %v", mutes, err)
	}

	in := pipeline.NewIngester(pipeline.Options{Store: st, Matcher: titleMatcher{"New IP": "new-ip"},
		Routes: oneRoute{{Platform: "slack", Target: alertsID}}, Logger: slog.New(slog.DiscardHandler)})
	if err := in.Ingest(ctx, "council", []model.Item{
		{ID: "C26-51-F", Title: "Contribution (Rev.1)", Document: &model.DocumentRef{Number: "C26/51", Revision: "Rev.1", Languages: []string{"fr"}}},
		{ID: "news-1", Title: "New IP returns"},
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	d := newDispatcher(c, st, &now)
	if n, err := d.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v; want the one DM", n, err)
	}
	if f.count("conversations.open") != 1 {
		t.Errorf("conversations.open called %d times, want 1", f.count("conversations.open"))
	}
	posts := f.acceptedPosts()
	if len(posts) != 1 || posts[0].Get("channel") != "D0DMBOB0001" || !strings.Contains(posts[0].Get("text"), "Contribution (Rev.1)") {
		t.Fatalf("posts = %v, want one to the DM D0DMBOB0001", posts)
	}
	counts, err := st.DeliveryCounts(ctx, "slack:"+alertsID, time.Time{}, time.Now().Add(time.Hour))
	if err != nil || counts[model.DeliveryMuted] != 1 {
		t.Errorf("muted in the channel = %v, %v; want 1", counts, err)
	}
	// A second DM reuses the conversation.
	if err := in.Ingest(ctx, "council", []model.Item{{ID: "C26-51-S", Title: "Contribución", Document: &model.DocumentRef{Number: "C26/51", Languages: []string{"es"}}}}); err != nil {
		t.Fatal(err)
	}
	now = time.Now()
	if n, err := d.DeliverDue(ctx); err != nil || n != 1 || f.count("conversations.open") != 1 {
		t.Errorf("second DM: delivered %d, %v; conversations.open %d times", n, err, f.count("conversations.open"))
	}
}
