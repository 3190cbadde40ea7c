package matrix

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
)

func TestInvites(t *testing.T) {
	tests := []struct {
		name       string
		users      []string
		servers    []string
		inviter    string
		join       bool
		wantReason string
	}{
		{name: "allowed user", users: []string{"@alice:policy.example"}, inviter: "@alice:policy.example", join: true},
		{name: "allowed user, case differs", users: []string{"@Alice:Policy.example"}, inviter: "@alice:policy.example", join: true},
		{name: "allowed homeserver", servers: []string{"policy.example"}, inviter: "@bob:policy.example", join: true},
		{name: "other user", users: []string{"@alice:policy.example"}, inviter: "@mallory:evil.example", wantReason: "@mallory:evil.example to matrix.allowed_users"},
		{name: "other homeserver", servers: []string{"policy.example"}, inviter: "@mallory:evil.example", wantReason: "matrix.allowed_users"},
		{name: "no lists, own homeserver", inviter: "@carol:example.org", join: true},
		{name: "no lists, other homeserver", inviter: "@mallory:evil.example", wantReason: "users of example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeHomeserver(t)
			c, _ := newTestClient(t, f, newMemState(), func(o *Options) {
				o.AllowedUsers, o.AllowedHomeservers = tt.users, tt.servers
			})
			// Pending before the first sync: invites are never skipped.
			f.push(inviteRooms("!invited:example.org", tt.inviter))
			listen(t, c, &fakeHandler{})
			select {
			case room := <-f.joins:
				if !tt.join {
					t.Fatalf("joined %s, want a refusal", room)
				}
				if room != "!invited:example.org" {
					t.Errorf("joined %s, want !invited:example.org", room)
				}
			case l := <-f.leaves:
				if tt.join {
					t.Fatalf("left %s (%q), want a join", l.Room, l.Reason)
				}
				if !strings.Contains(l.Reason, tt.wantReason) {
					t.Errorf("leave reason %q does not contain %q", l.Reason, tt.wantReason)
				}
			case <-time.After(waitLimit):
				t.Fatal("neither joined nor left")
			}
		})
	}
}

func TestCommandReply(t *testing.T) {
	tests := []struct {
		name      string
		sender    string
		canAdmin  bool
		admins    []string
		wantText  string
		body      string
		wantReply bool
	}{
		{name: "moderator", sender: "@alice:example.org", body: "!itu recent new-ip", wantText: "recent new-ip", canAdmin: true, wantReply: true},
		{name: "member", sender: "@bob:example.org", body: "!itu subscribe new-ip", wantText: "subscribe new-ip", wantReply: true},
		{name: "configured admin", sender: "@carol:example.org", admins: []string{"@carol:example.org"}, body: "  !ITU   help ", wantText: "help", canAdmin: true, wantReply: true},
		{name: "bare prefix", sender: "@bob:example.org", body: "!itu", wantText: "", wantReply: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeHomeserver(t)
			f.powerLevels[alertsRoom] = map[string]any{"users": map[string]any{"@alice:example.org": 50, botUser: 100}, "users_default": 0}
			state := newMemState()
			state.kv[stateNextBatch] = "s0" // not the first sync
			c, _ := newTestClient(t, f, state, func(o *Options) { o.Admins = tt.admins })
			h := &fakeHandler{reply: chat.Reply{Title: "Recent alerts on new-ip", Lines: []chat.ReplyLine{{Text: "C20/51 <b>", URL: "https://www.itu.int/md/S26-CL-C-0051", Note: "itu-council · #42"}}}}

			cmd := msgEvent(tt.sender, "m.text", tt.body)
			f.push(joinRooms(alertsRoom, nil,
				msgEvent(botUser, "m.text", "!itu status"),                   // our own
				msgEvent("@otherbot:example.org", "m.notice", "!itu status"), // a bot's notice
				msgEvent(tt.sender, "m.text", "hello !itu"),                  // not a command
				msgEvent(tt.sender, "m.text", "!ituwatch status"),            // not our prefix
				cmd,
			))
			listen(t, c, h)
			ev := f.waitSent(t)

			reqs := h.requests()
			want := []chat.Request{{Text: tt.wantText, Platform: "matrix", Channel: alertsRoom, User: tt.sender, CanAdmin: tt.canAdmin}}
			if !reflect.DeepEqual(reqs, want) {
				t.Errorf("handler got %+v, want %+v", reqs, want)
			}
			if ev.Room != alertsRoom || ev.Type != "m.room.message" {
				t.Errorf("reply sent as %s in %s", ev.Type, ev.Room)
			}
			if ev.Content["msgtype"] != "m.notice" {
				t.Errorf("reply msgtype %v, want m.notice", ev.Content["msgtype"])
			}
			rel, _ := ev.Content["m.relates_to"].(map[string]any)
			irt, _ := rel["m.in_reply_to"].(map[string]any)
			if irt["event_id"] != cmd["event_id"] {
				t.Errorf("reply relates to %v, want in reply to %v", rel, cmd["event_id"])
			}
			if m, ok := ev.Content["m.mentions"].(map[string]any); !ok || len(m) != 0 {
				t.Errorf("m.mentions = %v, want {}", ev.Content["m.mentions"])
			}
			fb, _ := ev.Content["formatted_body"].(string)
			if !strings.Contains(fb, `<a href="https://www.itu.int/md/S26-CL-C-0051">C20/51 &lt;b&gt;</a>`) {
				t.Errorf("formatted_body does not carry the escaped, linked line: %s", fb)
			}
		})
	}
}

func TestCommandInThreadIsAnsweredInThread(t *testing.T) {
	f := newFakeHomeserver(t)
	state := newMemState()
	state.kv[stateNextBatch] = "s0"
	c, _ := newTestClient(t, f, state, nil)
	cmd := msgEvent("@alice:example.org", "m.text", "!itu explain 42")
	cmd["content"].(map[string]any)["m.relates_to"] = map[string]any{"rel_type": "m.thread", "event_id": "$root", "is_falling_back": true, "m.in_reply_to": map[string]any{"event_id": "$root"}}
	f.push(joinRooms(alertsRoom, nil, cmd))
	listen(t, c, &fakeHandler{reply: chat.Reply{Title: "Alert #42"}})
	ev := f.waitSent(t)
	rel, _ := ev.Content["m.relates_to"].(map[string]any)
	irt, _ := rel["m.in_reply_to"].(map[string]any)
	if rel["rel_type"] != "m.thread" || rel["event_id"] != "$root" || irt["event_id"] != cmd["event_id"] {
		t.Errorf("m.relates_to = %v, want the thread $root, in reply to %v", rel, cmd["event_id"])
	}
}

func TestFirstSyncSkipsHistory(t *testing.T) {
	f := newFakeHomeserver(t)
	c, _ := newTestClient(t, f, newMemState(), nil)
	h := &fakeHandler{reply: chat.Reply{Title: "ok"}}
	f.push(joinRooms(alertsRoom, nil, msgEvent("@alice:example.org", "m.text", "!itu old command")))
	listen(t, c, h)
	f.waitSince(t, "s1") // the first batch was handled
	f.push(joinRooms(alertsRoom, nil, msgEvent("@alice:example.org", "m.text", "!itu new command")))
	f.waitSent(t)
	reqs := h.requests()
	if len(reqs) != 1 || reqs[0].Text != "new command" {
		t.Errorf("handler got %+v, want only \"new command\"", reqs)
	}
}

func TestRestartResumesFromStoredBatch(t *testing.T) {
	f := newFakeHomeserver(t)
	state := newMemState()
	h := &fakeHandler{reply: chat.Reply{Title: "ok"}}

	first, _ := newTestClient(t, f, state, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- first.Listen(ctx, h, nil) }()
	f.push(joinRooms(alertsRoom, nil))
	f.push(joinRooms(alertsRoom, nil))
	f.waitSince(t, "s2")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Listen: %v", err)
	}
	f.waitSyncsEnded(t)
	if got := state.kv[stateNextBatch]; got != "s2" {
		t.Fatalf("stored next_batch %q, want s2", got)
	}

	// A command that arrives while the bot is down is answered after the
	// restart, and the first sync asks for what came after s2.
	f.push(joinRooms(alertsRoom, nil, msgEvent("@alice:example.org", "m.text", "!itu status")))
	second, _ := newTestClient(t, f, state, nil)
	listen(t, second, h)
	select {
	case since := <-f.syncs:
		if since != "s2" {
			t.Errorf("first sync after the restart asked since=%q, want s2", since)
		}
	case <-time.After(waitLimit):
		t.Fatal("no sync after the restart")
	}
	f.waitSent(t)
	if reqs := h.requests(); len(reqs) != 1 || reqs[0].Text != "status" {
		t.Errorf("handler got %+v, want the status command once", reqs)
	}
	if n := f.count("POST /_matrix/client/v3/user/{user}/filter"); n != 1 {
		t.Errorf("filter created %d times, want once (kept in the store)", n)
	}
}

func TestEncryptedRoomWithoutEncryptionIsAProblem(t *testing.T) {
	f := newFakeHomeserver(t)
	state := newMemState()
	state.kv[stateNextBatch] = "s0"
	c, logs := newTestClient(t, f, state, nil)
	enc := map[string]any{"type": "m.room.encryption", "state_key": "", "sender": "@alice:example.org", "event_id": "$enc", "content": map[string]any{"algorithm": "m.megolm.v1.aes-sha2"}}
	f.push(joinRooms("!secret:example.org", []any{enc}))
	// A command in another room after it: its answer means the batch is done.
	f.push(joinRooms(alertsRoom, nil, msgEvent("@alice:example.org", "m.text", "!itu status")))
	listen(t, c, &fakeHandler{reply: chat.Reply{Title: "ok"}})
	f.waitSent(t)
	got := c.Problems()
	want := []string{"room !secret:example.org is encrypted but matrix.encryption.enabled is false: alerts there can't be read; enable it (needs a -tags goolm build)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Problems() = %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "encrypted") {
		t.Errorf("no warning logged:\n%s", logs.String())
	}
}

func TestCommandPrefix(t *testing.T) {
	tests := []struct {
		body string
		text string
		ok   bool
	}{
		{"!itu recent new-ip", "recent new-ip", true},
		{"!itu", "", true},
		{"!ITU help", "help", true},
		{"!itu\tsearch x", "search x", true},
		{"!ituwatch help", "", false},
		{"hello !itu help", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		text, ok := command(tt.body)
		if text != tt.text || ok != tt.ok {
			t.Errorf("command(%q) = %q, %v; want %q, %v", tt.body, text, ok, tt.text, tt.ok)
		}
	}
}

func TestListenStopsWhenTokenRevoked(t *testing.T) {
	f := newFakeHomeserver(t)
	c, _ := newTestClient(t, f, newMemState(), nil)
	f.mu.Lock()
	delete(f.tokens, testToken)
	f.mu.Unlock()
	err := c.Listen(context.Background(), &fakeHandler{}, nil)
	if err == nil || !strings.Contains(err.Error(), "does not accept the access token") || strings.Contains(err.Error(), testToken) {
		t.Errorf("Listen = %v, want the revoked-token explanation without the token", err)
	}
}

// Listen is one connection: it reports each good sync and ends at the first
// failed one with a reason in plain words; chat.Supervisor paces the retries.
func TestListenReportsSyncsAndEndsAtTheFirstFailure(t *testing.T) {
	f := newFakeHomeserver(t)
	c, logs := newTestClient(t, f, newMemState(), nil)
	connected := make(chan struct{}, 100)
	done := make(chan error, 1)
	go func() { done <- c.Listen(context.Background(), &fakeHandler{}, func() { connected <- struct{}{} }) }()
	select {
	case <-connected:
	case <-time.After(waitLimit):
		t.Fatal("no connected report after the first sync")
	}
	f.mu.Lock()
	f.failSync = func(w http.ResponseWriter) bool {
		writeJSON(w, 502, map[string]any{"errcode": "M_UNKNOWN", "error": "Bad gateway"})
		return true
	}
	f.mu.Unlock()
	f.push(joinRooms(alertsRoom, nil)) // ends the long poll in progress
	var err error
	select {
	case err = <-done:
	case <-time.After(waitLimit):
		t.Fatal("Listen kept retrying on its own")
	}
	if err == nil || !strings.Contains(err.Error(), "the homeserver answered HTTP 502: it is down or restarting") {
		t.Errorf("Listen = %v, want the homeserver's 502 explained", err)
	}
	if strings.Contains(logs.String(), "sync failed") {
		t.Errorf("the sync failure was logged by the client; the supervisor logs state changes:\n%s", logs)
	}
}
