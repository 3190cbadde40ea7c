package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ituwatch/ituwatch/bot/chat"
)

// recordingHandler answers every command with a reply that quotes hostile
// feed text, and records what it was asked.
type recordingHandler struct {
	mu   sync.Mutex
	reqs []chat.Request
}

func (h *recordingHandler) Handle(_ context.Context, req chat.Request) chat.Reply {
	h.mu.Lock()
	h.reqs = append(h.reqs, req)
	h.mu.Unlock()
	return chat.Reply{
		Title: "Recent alerts on new-ip",
		Lines: []chat.ReplyLine{
			{Text: "<!channel> Draft resolution", URL: "https://www.itu.int/md/1", Note: "itu-council · alert #42"},
			{Text: "Study group report <@U123>", Note: "alert #41"},
		},
		Footer: "try: recent new-ip 10",
	}
}

func (h *recordingHandler) requests() []chat.Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]chat.Request(nil), h.reqs...)
}

const testTimeout = 10 * time.Second

func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// socketScript plays Slack's side of a Socket Mode connection.
type socketScript struct {
	t    *testing.T
	conn *websocket.Conn
	acks chan string
}

func newSocketScript(t *testing.T, conn *websocket.Conn) *socketScript {
	s := &socketScript{t: t, conn: conn, acks: make(chan string, 10)}
	go func() {
		for {
			var ack struct {
				EnvelopeID string          `json:"envelope_id"`
				Payload    json.RawMessage `json:"payload"`
			}
			if err := conn.ReadJSON(&ack); err != nil {
				close(s.acks)
				return
			}
			s.acks <- ack.EnvelopeID
		}
	}()
	return s
}

func (s *socketScript) send(v any) {
	s.t.Helper()
	if err := s.conn.WriteJSON(v); err != nil {
		s.t.Fatalf("write to socket: %v", err)
	}
}

func (s *socketScript) expectAck(envelope string) {
	s.t.Helper()
	if got := within(s.t, s.acks, "ack of "+envelope); got != envelope {
		s.t.Errorf("ack for %q, want %q", got, envelope)
	}
}

func slashEnvelope(id, user, text, responseURL string) map[string]any {
	return map[string]any{
		"envelope_id":              id,
		"type":                     "slash_commands",
		"accepts_response_payload": true,
		"payload": map[string]any{
			"command": "/itu", "text": text, "user_id": user, "channel_id": alertsID,
			"team_id": "T0TEAM", "response_url": responseURL, "trigger_id": "1.2.3",
		},
	}
}

func mentionEnvelope(id, eventID, user, botID, text, ts, threadTS string) map[string]any {
	ev := map[string]any{"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": alertsID, "event_ts": ts}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	if botID != "" {
		ev["bot_id"] = botID
	}
	return map[string]any{
		"envelope_id": id,
		"type":        "events_api",
		"payload": map[string]any{
			"type": "event_callback", "team_id": "T0TEAM", "api_app_id": "A0APP", "event_id": eventID,
			"event_time": 1700000000, "event": ev,
		},
	}
}

func TestListenAnswersSlashCommandsAndMentions(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	h := &recordingHandler{}
	ctx, cancel := context.WithCancel(context.Background())
	listenErr := make(chan error, 1)
	go func() { listenErr <- c.Listen(ctx, h, nil) }()
	defer func() {
		cancel()
		if err := within(t, listenErr, "Listen to return"); err != nil {
			t.Errorf("Listen: %v", err)
		}
	}()

	s := newSocketScript(t, within(t, f.socket, "the Socket Mode connection"))
	s.send(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A0APP"}})

	// /itu recent new-ip from a configured admin: acked, answered ephemerally.
	respURL := fmt.Sprintf("http://%s/response/1", f.srv.ServerAddr)
	s.send(slashEnvelope("env-1", "UALICE01", "recent new-ip", respURL))
	s.expectAck("env-1")
	body := within(t, f.responses, "the slash command reply")
	var reply struct {
		ResponseType string           `json:"response_type"`
		Text         string           `json:"text"`
		Blocks       []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(body, &reply); err != nil {
		t.Fatalf("response_url body: %v\n%s", err, body)
	}
	if reply.ResponseType != "ephemeral" {
		t.Errorf("response_type = %q, want ephemeral", reply.ResponseType)
	}
	if !strings.Contains(string(body), "Recent alerts on new-ip") || strings.Contains(string(body), "<!channel>") || strings.Contains(string(body), "<@U123>") {
		t.Errorf("reply not rendered or not escaped: %s", body)
	}

	// @ituwatch recent new-ip from a member: answered in the thread.
	s.send(mentionEnvelope("env-2", "Ev001", "UBOB0001", "", "<@"+testBotUser+"> recent   new-ip", "1700000100.000100", ""))
	s.expectAck("env-2")
	post := within(t, f.posted, "the mention reply")
	if post.Get("thread_ts") != "1700000100.000100" || post.Get("channel") != alertsID {
		t.Errorf("mention reply went to channel %q thread %q", post.Get("channel"), post.Get("thread_ts"))
	}

	// A mention inside a thread answers in that thread; Slack's redelivery
	// of the same event and a bot's mention get no answer.
	s.send(mentionEnvelope("env-3", "Ev002", "UCAROL01", "", "<@"+testBotUser+"> subscribe new-ip", "1700000200.000200", "1700000150.000150"))
	s.expectAck("env-3")
	post = within(t, f.posted, "the threaded mention reply")
	if post.Get("thread_ts") != "1700000150.000150" {
		t.Errorf("reply in thread %q, want the mention's thread", post.Get("thread_ts"))
	}
	s.send(mentionEnvelope("env-4", "Ev002", "UCAROL01", "", "<@"+testBotUser+"> subscribe new-ip", "1700000200.000200", "1700000150.000150"))
	s.expectAck("env-4")
	s.send(mentionEnvelope("env-5", "Ev003", "UOTHERBOT", "B0OTHER", "<@"+testBotUser+"> recent", "1700000300.000300", ""))
	s.expectAck("env-5")
	// A last command flushes the pipeline: once it is answered, the ones
	// before it would have been too.
	s.send(slashEnvelope("env-6", "UBOB0001", "", fmt.Sprintf("http://%s/response/2", f.srv.ServerAddr)))
	s.expectAck("env-6")
	within(t, f.responses, "the last reply")

	reqs := h.requests()
	want := []chat.Request{
		{Text: "recent new-ip", Platform: "slack", Channel: alertsID, User: "UALICE01", CanAdmin: true},
		{Text: "recent new-ip", Platform: "slack", Channel: alertsID, User: "UBOB0001", CanAdmin: false},
		{Text: "subscribe new-ip", Platform: "slack", Channel: alertsID, User: "UCAROL01", CanAdmin: true},
		{Text: "help", Platform: "slack", Channel: alertsID, User: "UBOB0001", CanAdmin: false},
	}
	if len(reqs) != len(want) {
		t.Fatalf("handler got %d requests, want %d: %+v", len(reqs), len(want), reqs)
	}
	for i := range want {
		if reqs[i] != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, reqs[i], want[i])
		}
	}
	if n := len(f.posted); n != 0 {
		t.Errorf("%d unexpected extra posts (redelivered or bot mention answered)", n)
	}
}

func TestListenRefusesBadAppToken(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, func(o *Options) { o.AppToken = "xapp-1-wrong-secret" })
	err := c.Listen(context.Background(), &recordingHandler{}, nil)
	if err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") {
		t.Fatalf("err = %v, want it to point at SLACK_APP_TOKEN", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("token in error: %v", err)
	}

	c2, _ := newTestClient(t, f, func(o *Options) { o.AppToken = "" })
	if err := c2.Listen(context.Background(), &recordingHandler{}, nil); err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") {
		t.Errorf("without an app token: err = %v", err)
	}
}

func TestCanAdmin(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	ctx := context.Background()
	tests := []struct {
		user string
		want bool
	}{
		{"UALICE01", true},  // configured
		{"UCAROL01", true},  // workspace admin
		{"UBOB0001", false}, // member
		{"", false},
	}
	for _, tt := range tests {
		if got := c.canAdmin(ctx, tt.user); got != tt.want {
			t.Errorf("canAdmin(%q) = %v, want %v", tt.user, got, tt.want)
		}
	}
	calls := f.count("users.info")
	c.canAdmin(ctx, "UCAROL01")
	c.canAdmin(ctx, "UBOB0001")
	if f.count("users.info") != calls {
		t.Error("users.info asked again within the cache time")
	}
	if calls != 2 {
		t.Errorf("users.info called %d times, want 2 (configured admins need no lookup)", calls)
	}
}

func TestCommandText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<@UBOT0001> recent new-ip", "recent new-ip"},
		{"<@UBOT0001|ituwatch>   search  \"new ip\"", `search "new ip"`},
		{"hey <@UBOT0001> status", "hey status"},
		{"<@UBOT0001> who is <@U999>", "who is <@U999>"},
		{"search a &amp; b &lt;x&gt;", "search a & b <x>"},
		{"<@UBOT0001>", "help"},
		{"  ", "help"},
	}
	for _, tt := range tests {
		if got := commandText(tt.in, "UBOT0001"); got != tt.want {
			t.Errorf("commandText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Listen is one connection: trouble ends it with a reason in plain words
// (chat.Supervisor retries), instead of slack-go retrying unseen for ever.
func TestListenEndsOnSlackTroubleAndSaysWhy(t *testing.T) {
	tests := []struct {
		name string
		down string // method answering 503
		mod  func(*Options)
		want []string
	}{
		{name: "auth.test 503", down: "auth.test", want: []string{"slack answered HTTP 503 Service Unavailable", "auth.test", "Slack is having trouble"}},
		{name: "apps.connections.open 503", down: "apps.connections.open", want: []string{"slack answered HTTP 503 Service Unavailable", "Socket Mode", "retries on its own"}},
		{name: "app token refused", mod: func(o *Options) { o.AppToken = "xapp-1-revoked-secret" }, want: []string{"refused the app-level token (invalid_auth)", "SLACK_APP_TOKEN", "alerts are still posted"}},
		{name: "bot token refused", mod: func(o *Options) { o.BotToken = "xoxb-revoked-secret" }, want: []string{"Slack rejected the bot token", "SLACK_BOT_TOKEN"}},
		{name: "closed port", mod: func(o *Options) { o.APIURL = "http://127.0.0.1:1/api/" }, want: []string{"cannot reach Slack", "slack.api_url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			if tt.down != "" {
				f.unavailable = map[string]bool{tt.down: true}
			}
			c, _ := newTestClient(t, f, tt.mod)
			done := make(chan error, 1)
			go func() {
				done <- c.Listen(context.Background(), &recordingHandler{}, func() { t.Error("reported connected") })
			}()
			err := within(t, done, "Listen to give up")
			if err == nil {
				t.Fatal("Listen returned nil")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("a token in the error: %v", err)
			}
		})
	}
}

func TestListenReportsConnectedAndStopsWithContext(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	connected := make(chan struct{}, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Listen(ctx, &recordingHandler{}, func() { connected <- struct{}{} }) }()
	conn := within(t, f.socket, "the Socket Mode connection")
	defer conn.Close()
	within(t, connected, "the connected report")
	cancel()
	if err := within(t, done, "Listen to return"); err != nil {
		t.Errorf("Listen after cancel = %v, want nil", err)
	}
}
