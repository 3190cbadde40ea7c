package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/store/pgtest"
)

// sendEnvelopeToAll writes one Socket Mode envelope on every open
// connection, as Slack may when it hands an event to one connection and,
// missing the acknowledgement in time, to another.
func (f *fakeSlackAPI) sendEnvelopeToAll(t *testing.T, env map[string]any) {
	t.Helper()
	f.smu.Lock()
	defer f.smu.Unlock()
	for _, c := range f.conns {
		if err := c.WriteJSON(env); err != nil {
			t.Fatalf("write envelope: %v", err)
		}
	}
}

// TestTwoInstancesAnswerASlackCommandOnce: two `ituwatch run` sharing a
// store both keep a Socket Mode connection; a slash command and a mention
// delivered to both connections are answered once each.
func TestTwoInstancesAnswerASlackCommandOnce(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testTwoInstancesAnswerOnce(t, "") })
	t.Run("postgres", func(t *testing.T) { testTwoInstancesAnswerOnce(t, pgtest.DSN(t)) })
}

// testTwoInstancesAnswerOnce runs the two instances on a SQLite file, or on
// the Postgres schema dsn names (where one of them leads).
func testTwoInstancesAnswerOnce(t *testing.T, dsn string) {
	fastListenerRetry(t)
	slack := newFakeSlackAPI(t, killTestToken)
	slack.setAppToken(testAppToken)
	var (
		mu       sync.Mutex
		answers  int
		answered = make(chan struct{}, 8)
	)
	respond := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		answers++
		mu.Unlock()
		answered <- struct{}{}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(respond.Close)
	rig, cfg := newListenerRig(t, slack, slack.url(), nil, "")
	if dsn != "" {
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		conf := regexp.MustCompile(`(?m)^store: .*$`).ReplaceAllString(string(b), `store: {driver: postgres, dsn: "$${ITUWATCH_PG_DSN}"}`)
		if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		rig.env["ITUWATCH_PG_DSN"] = dsn
	}
	var daemons []*runningDaemon
	for range 2 {
		d := startRun(t, cfg, rig.env)
		d.waitListener(t, "slack", chat.ListenerUp)
		daemons = append(daemons, d)
	}
	for range 2 {
		select {
		case <-slack.sockets:
		case <-time.After(listenerWait):
			t.Fatal("not every instance opened a Socket Mode connection")
		}
	}

	slack.sendEnvelopeToAll(t, map[string]any{
		"envelope_id": "env-slash-1", "type": "slash_commands", "accepts_response_payload": true,
		"payload": map[string]any{
			"command": "/itu", "text": "status", "user_id": "UDANA001", "user_name": "dana", "channel_id": fakeChannelID,
			"team_id": "T0TEAM", "response_url": respond.URL + "/commands/T0TEAM/1/abc", "trigger_id": "13345224609.738474920.8088930838d88f008e0",
		},
	})
	select {
	case <-answered:
	case <-time.After(listenerWait):
		t.Fatal("the slash command was not answered")
	}

	posted := len(slack.accepted_())
	slack.sendEnvelopeToAll(t, map[string]any{
		"envelope_id": "env-mention-1", "type": "events_api",
		"payload": map[string]any{"type": "event_callback", "team_id": "T0TEAM", "api_app_id": "A0APP", "event_id": "Ev0MULTI1", "event_time": 1700000000,
			"event": map[string]any{"type": "app_mention", "user": "UDANA001", "text": "<@UBOT0001> topics",
				"ts": "1700000600.000100", "channel": fakeChannelID, "event_ts": "1700000600.000100"}},
	})
	select {
	case <-slack.accepted:
	case <-time.After(listenerWait):
		t.Fatal("the mention was not answered")
	}

	// A second answer, if any, comes within moments of the first: both
	// instances got the event at the same time.
	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	got := answers
	mu.Unlock()
	if got != 1 {
		t.Errorf("the slash command was answered %d times, want once", got)
	}
	if n := len(slack.accepted_()) - posted; n != 1 {
		t.Errorf("the mention was answered %d times, want once", n)
	}
	for i, d := range daemons {
		if code := d.stop(t); code != 0 {
			t.Errorf("instance %d exited with %d:\n%s", i+1, code, d.stderr.String())
		}
	}
}

// TestStoppedLeaderHandsOver: two `ituwatch run` on one Postgres schema;
// the leader is stopped as by SIGTERM, lets go of the lock and removes
// its row, and the other leads within its next try and the settling wait.
func TestStoppedLeaderHandsOver(t *testing.T) {
	dsn := pgtest.DSN(t)
	rig, cfg := newListenerRig(t, nil, "", nil, "")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	conf := regexp.MustCompile(`(?m)^store: .*$`).ReplaceAllString(string(b), `store: {driver: postgres, dsn: "$${ITUWATCH_PG_DSN}"}`)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	rig.env["ITUWATCH_PG_DSN"] = dsn
	a, b2 := startRun(t, cfg, rig.env), startRun(t, cfg, rig.env)
	var leader, standby *runningDaemon
	a.until(t, "one of the two to lead", func() bool {
		_, ha := a.healthz(t)
		_, hb := b2.healthz(t)
		switch {
		case ha.Leading && !hb.Leading:
			leader, standby = a, b2
		case hb.Leading && !ha.Leading:
			leader, standby = b2, a
		}
		return leader != nil
	})
	_, hl := leader.healthz(t)
	if code := leader.stop(t); code != 0 {
		t.Fatalf("the leader exited with %d", code)
	}
	stopped := time.Now()
	standby.until(t, "the standby to lead", func() bool {
		_, h := standby.healthz(t)
		return h.Leading
	})
	took := time.Since(stopped)
	t.Logf("the standby led %v after the leader stopped", took.Round(10*time.Millisecond))
	if took > 2*leaderTryEvery+leaderSettle+time.Second {
		t.Errorf("the standby took %v to lead, want at most %v", took, 2*leaderTryEvery+leaderSettle+time.Second)
	}
	ctx := context.Background()
	st, err := store.OpenDriver(ctx, store.DriverPostgres, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The new leader marks its row at its next heartbeat.
	standby.until(t, "the store to list only the new leader", func() bool {
		list, err := st.Instances(ctx, time.Now().Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range list {
			if in.ID == hl.Instance {
				t.Fatalf("the stopped leader's row is still there: %+v", list)
			}
		}
		return len(list) == 1 && list[0].Leader
	})
}
