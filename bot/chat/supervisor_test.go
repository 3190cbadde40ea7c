package chat

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A listener that fails keeps being retried, logs one line per change of
// state and reports where it stands.
func TestSupervisorRetriesAndLogsStateChangesOnce(t *testing.T) {
	logs := &lockedBuffer{}
	s := NewSupervisor("slack", slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})), Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond})
	if st := s.Status(); st.State != ListenerConnecting || st.Name != "slack" {
		t.Fatalf("before Run: %+v, want connecting", st)
	}

	// The script: up, then down 4 times for one reason, twice for another,
	// then up until cancelled.
	script := []error{nil, errors.New("Slack answered 503"), errors.New("Slack answered 503"), errors.New("Slack answered 503"), errors.New("Slack answered 503"),
		errors.New("Slack refused the app-level token"), errors.New("Slack refused the app-level token"), nil}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	states := make(chan ListenerStatus, len(script))
	attempt := 0
	session := func(ctx context.Context, connected func()) error {
		err := script[attempt]
		attempt++
		if err != nil {
			if attempt > 1 {
				states <- s.Status() // still down from the attempt before
			}
			return err
		}
		connected()
		connected() // twice: no second log line
		states <- s.Status()
		if attempt == len(script) {
			<-ctx.Done()
			return ctx.Err()
		}
		return errors.New("Slack closed the connection")
	}
	done := make(chan struct{})
	go func() { s.Run(ctx, session); close(done) }()
	var last ListenerStatus
	for range len(script) {
		select {
		case last = <-states:
		case <-time.After(10 * time.Second):
			t.Fatal("the supervisor stopped retrying")
		}
	}
	if last.State != ListenerUp {
		t.Errorf("after the last connection: %+v, want up", last)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}

	out := logs.String()
	for line, want := range map[string]int{
		"slack listener connected":          1,
		"slack listener down":               3, // closed, 503, refused: one line each
		"slack listener reconnected":        1,
		`reason="Slack answered 503"`:       1,
		"Slack refused the app-level token": 1,
	} {
		if got := strings.Count(out, line); got != want {
			t.Errorf("%q logged %d times, want %d:\n%s", line, got, want, out)
		}
	}
}

func TestSupervisorShowsDownWithReasonAndSince(t *testing.T) {
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	s := NewSupervisor("matrix", slog.New(slog.DiscardHandler), Backoff{Min: time.Hour, Max: time.Hour})
	s.now = func() time.Time { return now }
	ctx, cancel := context.WithCancel(context.Background())
	failed := make(chan struct{})
	go s.Run(ctx, func(context.Context, func()) error {
		close(failed)
		return errors.New("cannot reach the homeserver")
	})
	<-failed
	deadline := time.After(10 * time.Second)
	for s.Status().State != ListenerDown {
		select {
		case <-deadline:
			t.Fatalf("status %+v, want down", s.Status())
		case <-time.After(time.Millisecond):
		}
	}
	cancel() // Run waits out its hour-long backoff only until ctx ends
	want := ListenerStatus{Name: "matrix", State: ListenerDown, Since: now, Reason: "cannot reach the homeserver"}
	if got := s.Status(); got != want {
		t.Errorf("status %+v, want %+v", got, want)
	}
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	tests := []struct {
		n        int
		lo, high time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{4, 400 * time.Millisecond, 800 * time.Millisecond},
		{5, 500 * time.Millisecond, time.Second},
		{50, 500 * time.Millisecond, time.Second},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := b.wait(tt.n)
			if d < tt.lo || d > tt.high {
				t.Errorf("wait(%d) = %v, want within [%v, %v]", tt.n, d, tt.lo, tt.high)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("wait(%d) is always %v: no jitter", tt.n, b.wait(tt.n))
		}
	}
}

// status says, per chat listener, whether commands are answered, and why not.
func TestStatusShowsChatListeners(t *testing.T) {
	listeners := []ListenerStatus{
		{Name: "slack", State: ListenerDown, Since: bottest.T0.Add(-12 * time.Minute), Reason: "slack refused the app-level token (invalid_auth): check SLACK_APP_TOKEN"},
		{Name: "matrix", State: ListenerUp, Since: bottest.T0.Add(-3 * time.Hour)},
		{Name: "matrix2", State: ListenerConnecting, Since: bottest.T0},
	}
	r := NewRouter(RouterOptions{Queries: newFakeQueries(), Topics: testTopics, Sources: testSources, Now: (&bottest.Clock{T: bottest.T0}).Now, Version: "1.2.3", Logger: bottest.QuietLogger(),
		Listeners: func() []ListenerStatus { return listeners }})
	out := RenderPlain(r.Handle(context.Background(), Request{Text: "status", Platform: "console", User: "u"}))
	for _, want := range []string{
		"Chat listener slack",
		"down since 12m ago: slack refused the app-level token (invalid_auth): check SLACK_APP_TOKEN · ituwatch retries on its own",
		"Chat listener matrix",
		"connected since 3h ago",
		"Chat listener matrix2",
		"connecting since just now",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status does not say %q:\n%s", want, out)
		}
	}

	// Without listeners (the terminal chat) there is no such line.
	out = RenderPlain(newTestRouter(newFakeQueries(), &bottest.Clock{T: bottest.T0}).Handle(context.Background(), Request{Text: "status", Platform: "console", User: "u"}))
	if strings.Contains(out, "Chat listener") {
		t.Errorf("status without listeners mentions one:\n%s", out)
	}
}
