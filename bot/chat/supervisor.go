package chat

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// ListenerState is where a chat command listener stands.
type ListenerState string

const (
	ListenerConnecting ListenerState = "connecting" // started, not connected yet
	ListenerUp         ListenerState = "up"
	ListenerDown       ListenerState = "down" // failed; retrying on its own
)

// ListenerStatus is what status, /healthz and /metrics show of a listener.
type ListenerStatus struct {
	Name   string // "slack", "matrix"
	State  ListenerState
	Since  time.Time // when it entered State
	Reason string    // why it is down, for a person; empty otherwise
}

// Backoff is the wait between attempts: doubling from Min up to Max, each
// wait drawn between half and all of it so that restarts do not retry in
// step.
type Backoff struct {
	Min, Max time.Duration
}

// DefaultListenerBackoff waits at most two minutes: a chat platform back
// from an outage answers commands again soon after, at the cost of one
// cheap request per two minutes while it is down.
var DefaultListenerBackoff = Backoff{Min: 2 * time.Second, Max: 2 * time.Minute}

// wait returns the jittered wait before attempt n (1-based) after failures.
func (b Backoff) wait(n int) time.Duration {
	d := b.Min
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// Session runs one connection of a listener until it fails or ctx ends. It
// calls connected once the platform accepted it (and may call it again, to
// no effect); its error says, in plain words, why the connection ended.
type Session func(ctx context.Context, connected func()) error

// Supervisor keeps a chat listener running: a session that fails is started
// again after a capped, jittered backoff, for as long as ctx lives, so that
// a chat platform's outage or a revoked token never stops the daemon. It
// logs one line per change of state (connected, down with the reason,
// reconnected), not one per attempt, and reports its state for status,
// /healthz and /metrics.
type Supervisor struct {
	name    string
	log     *slog.Logger
	backoff Backoff
	now     func() time.Time

	mu      sync.Mutex
	status  ListenerStatus
	downLog string // the reason last logged, so a retry failing alike stays quiet
}

// NewSupervisor returns a supervisor for the listener called name. A zero
// Backoff means DefaultListenerBackoff.
func NewSupervisor(name string, log *slog.Logger, b Backoff) *Supervisor {
	if b.Min <= 0 || b.Max <= 0 {
		b = DefaultListenerBackoff
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Supervisor{name: name, log: log.With("listener", name), backoff: b, now: time.Now}
	s.status = ListenerStatus{Name: name, State: ListenerConnecting, Since: s.now()}
	return s
}

// Status returns the listener's current state.
func (s *Supervisor) Status() ListenerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Run runs session again and again until ctx ends, and returns then.
func (s *Supervisor) Run(ctx context.Context, session Session) {
	failures := 0
	for ctx.Err() == nil {
		var upAt time.Time
		connected := func() {
			if t := s.up(); !t.IsZero() {
				upAt = t
			}
		}
		err := session(ctx, connected)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("the connection ended without a reason")
		}
		// A connection that held for a while starts the backoff afresh; one
		// that drops as soon as it is made keeps backing off.
		if !upAt.IsZero() && s.now().Sub(upAt) >= s.backoff.Max {
			failures = 0
		}
		failures++
		wait := s.backoff.wait(failures)
		s.down(err, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// up records a connection and returns its time, or zero when the listener
// was already up.
func (s *Supervisor) up() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status.State == ListenerUp {
		return time.Time{}
	}
	now := s.now()
	prev := s.status
	s.status = ListenerStatus{Name: s.name, State: ListenerUp, Since: now}
	s.downLog = ""
	if prev.State == ListenerDown {
		s.log.Info(s.name+" listener reconnected", "down_for", now.Sub(prev.Since).Round(time.Second).String())
	} else {
		s.log.Info(s.name + " listener connected")
	}
	return now
}

// down records a failed session; it logs only when the listener was not
// already down for the same reason.
func (s *Supervisor) down(err error, wait time.Duration) {
	reason := err.Error()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status.State != ListenerDown {
		s.status = ListenerStatus{Name: s.name, State: ListenerDown, Since: s.now()}
	}
	s.status.Reason = reason
	if s.downLog == reason {
		s.log.Debug(s.name+" listener still down; retrying", "reason", reason, "retry_in", wait.Round(time.Millisecond).String())
		return
	}
	s.downLog = reason
	s.log.Warn(s.name+" listener down; ituwatch keeps polling and sending alerts and retries on its own", "reason", reason)
}
