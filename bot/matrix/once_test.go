package matrix

import (
	"context"
	"sync"
	"testing"

	"github.com/ituwatch/ituwatch/bot/chat"
)

// onceHandler is the handler of instances sharing a store: it knows which
// events one of them answered.
type onceHandler struct {
	*fakeHandler
	mu       sync.Mutex
	answered map[string]bool
}

func (h *onceHandler) FirstAnswer(_ context.Context, id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.answered[id] {
		return false
	}
	h.answered[id] = true
	return true
}

// TestCommandAnsweredBeforeATakeoverIsNotRunAgain: a new leader's sync
// replays the commands its predecessor answered after the sync position it
// saved last; those are not run again, the others are.
func TestCommandAnsweredBeforeATakeoverIsNotRunAgain(t *testing.T) {
	f := newFakeHomeserver(t)
	state := newMemState()
	state.kv[stateNextBatch] = "s0"
	c, _ := newTestClient(t, f, state, nil)
	old := msgEvent("@alice:example.org", "m.text", "!itu subscribe new-ip")
	fresh := msgEvent("@alice:example.org", "m.text", "!itu recent")
	h := &onceHandler{fakeHandler: &fakeHandler{reply: chat.Reply{Title: "ok"}}, answered: map[string]bool{"matrix:" + old["event_id"].(string): true}}
	f.push(joinRooms(alertsRoom, nil, old, fresh))
	listen(t, c, h)
	f.waitSent(t)
	reqs := h.requests()
	if len(reqs) != 1 || reqs[0].Text != "recent" {
		t.Errorf("handler got %+v, want only the command not answered before", reqs)
	}
}
