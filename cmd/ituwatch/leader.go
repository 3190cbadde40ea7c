package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// Several `ituwatch run` processes may share one Postgres store. One leads:
// it polls, sends, closes digests, ends mutes, edits claimed alerts and
// runs the Matrix sync and commands. The others stand by, serve /healthz
// and /metrics, and answer Slack commands (each command once, see
// onceHandler); when the leader's session ends they take over. With SQLite
// the only instance always leads.

// Timings of the election; the 3-process test measures them as shipped.
var (
	// leaderTryEvery is how often a standby instance tries the lock.
	leaderTryEvery = 2 * time.Second
	// leaderCheckEvery is how often the leader makes sure its session, and
	// so its lock, is still there; a lost session stops the leader's work
	// within this much (plus leaderCheckTimeout).
	leaderCheckEvery   = time.Second
	leaderCheckTimeout = time.Second
	// leaderSettle is how long a new leader waits before working: a
	// predecessor whose session the server ended (not one that was killed:
	// its work died with it) notices within a check and stops first.
	leaderSettle = leaderCheckEvery + leaderCheckTimeout
)

// deliveryLease outlasts a send (30 s timeout) and its recording; a lease
// whose holder died is taken over as soon as the holder counts as dead.
const deliveryLease = 2 * time.Minute

// instancesKeptFor: the leader deletes the rows of instances not seen for
// this long (status shows those seen in the last minute).
const instancesKeptFor = time.Hour

// newInstance describes this process.
func newInstance(now time.Time) model.Instance {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	host, _ := os.Hostname()
	return model.Instance{ID: hex.EncodeToString(b), Host: host, PID: os.Getpid(), Version: version, StartedAt: now.UTC(), LastSeen: now.UTC()}
}

// leaderStore is what the election needs of the store.
type leaderStore interface {
	TryLead(ctx context.Context) (*store.LeaderLease, error)
}

// leaseChecker is a held lease; *store.LeaderLease is one.
type leaseChecker interface {
	Check(ctx context.Context) error
	Release()
}

// election runs the leader's work while this instance holds the lease.
type election struct {
	try    func(ctx context.Context) (leaseChecker, error) // nil lease: another leads
	settle time.Duration                                   // wait before working, once won
	log    *slog.Logger

	mu      sync.Mutex
	leading bool
	since   time.Time
}

func newElection(st leaderStore, driver string, log *slog.Logger) *election {
	settle := leaderSettle
	if driver != "postgres" {
		settle = 0 // the only instance: nobody to wait for
	}
	return &election{log: log, settle: settle, try: func(ctx context.Context) (leaseChecker, error) {
		l, err := st.TryLead(ctx)
		if l == nil || err != nil {
			return nil, err
		}
		return l, nil
	}}
}

// Leading says whether this instance leads, and since when.
func (e *election) Leading() (bool, time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leading, e.since
}

func (e *election) set(leading bool) {
	e.mu.Lock()
	e.leading = leading
	e.since = time.Now()
	if !leading {
		e.since = time.Time{}
	}
	e.mu.Unlock()
}

// Run tries for the lease until ctx ends; each time it wins, it runs lead
// under a context that ends when the lease is lost (or ctx ends), waits for
// lead to return, and tries again. It returns when ctx ends.
func (e *election) Run(ctx context.Context, lead func(context.Context)) {
	for {
		lease, err := e.try(ctx)
		if err != nil && ctx.Err() == nil {
			e.log.Warn("could not try the leader lock; trying again", "error", err, "in", leaderTryEvery)
		}
		if lease != nil {
			e.hold(ctx, lease, lead)
		}
		if !sleepCtx(ctx, leaderTryEvery) {
			return
		}
	}
}

// hold runs lead while lease holds.
func (e *election) hold(ctx context.Context, lease leaseChecker, lead func(context.Context)) {
	defer lease.Release()
	if !sleepCtx(ctx, e.settle) {
		return
	}
	if err := e.check(ctx, lease); err != nil {
		e.log.Warn("lost the leader lock before starting", "error", err)
		return
	}
	e.set(true)
	defer e.set(false)
	if e.settle > 0 { // several instances may share the store
		e.log.Info("leading: this instance polls and sends")
	}
	leadCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); lead(leadCtx) }()
	tick := time.NewTicker(leaderCheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			stop()
			<-done
			return
		case <-done:
			// lead ended on its own (a fatal error, reported by it).
			stop()
			return
		case <-tick.C:
			if err := e.check(ctx, lease); err != nil {
				if ctx.Err() != nil {
					continue
				}
				e.log.Error("lost the leader lock: stopping polls and sends; another instance takes over", "error", err)
				stop()
				<-done
				return
			}
		}
	}
}

func (e *election) check(ctx context.Context, lease leaseChecker) error {
	cctx, cancel := context.WithTimeout(ctx, leaderCheckTimeout)
	defer cancel()
	return lease.Check(cctx)
}

// sleepCtx waits d or until ctx ends, and says whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// instanceStore is what the heartbeat needs of the store.
type instanceStore interface {
	RegisterInstance(ctx context.Context, in model.Instance) error
	Heartbeat(ctx context.Context, id string, leader bool, at time.Time) error
	PruneInstances(ctx context.Context, before time.Time) error
}

// heartbeat keeps this instance's row fresh until ctx ends; the leader also
// prunes the rows of the long dead.
func heartbeat(ctx context.Context, st instanceStore, in model.Instance, every time.Duration, leading func() (bool, time.Time), log *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	beat := func() {
		lead, _ := leading()
		now := time.Now()
		err := st.Heartbeat(ctx, in.ID, lead, now)
		if errors.Is(err, model.ErrNotFound) {
			// Pruned while this process was paused: register again.
			in.LastSeen = now
			err = st.RegisterInstance(ctx, in)
			if err == nil {
				err = st.Heartbeat(ctx, in.ID, lead, now)
			}
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("instance heartbeat failed", "error", err)
		}
		if lead && err == nil {
			if err := st.PruneInstances(ctx, now.Add(-instancesKeptFor)); err != nil && ctx.Err() == nil {
				log.Warn("pruning old instances failed", "error", err)
			}
		}
	}
	beat()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			beat()
		}
	}
}

// storeLeaser leases deliveries to this instance (notify.Leaser).
type storeLeaser struct {
	st       *store.Store
	instance string
	live     time.Duration
}

func (l storeLeaser) LeaseDelivery(ctx context.Context, deliveryID int64) (bool, bool, error) {
	now := time.Now()
	c, err := l.st.ClaimDelivery(ctx, deliveryID, l.instance, now, now.Add(deliveryLease), now.Add(-l.live))
	return c.Claimed, c.Interrupted, err
}

// registerInstance writes this process's row. With SQLite this process is
// the only instance, so the rows left by earlier runs are the dead's, and
// go: their delivery leases are free at once.
func (a *app) registerInstance(ctx context.Context) error {
	if a.store.Driver() != "postgres" {
		if err := a.store.PruneInstances(ctx, a.instance.StartedAt); err != nil {
			return err
		}
	}
	if err := a.store.RegisterInstance(ctx, a.instance); err != nil {
		return err
	}
	a.log.Info("instance registered", "instance", a.instance.ID, "host", a.instance.Host, "pid", a.instance.PID)
	return nil
}

// unregisterInstance deletes this process's row at a clean shutdown, so
// that status no longer lists it.
func (a *app) unregisterInstance() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.store.RemoveInstance(ctx, a.instance.ID); err != nil {
		a.log.Warn("could not remove this instance from the store", "error", err)
	}
}

// firstAnswer records that this instance answers a chat event, and says
// whether it was the first to. If the store cannot say, it answers: an
// answer twice is better than none.
func (a *app) firstAnswer(ctx context.Context, eventID string) bool {
	first, err := a.store.FirstChatEvent(ctx, eventID, a.instance.ID, time.Now())
	if err != nil {
		a.log.Warn("could not check whether another instance answered a chat event; answering", "error", err)
		return true
	}
	if !first {
		a.log.Debug("chat event answered by another instance", "event", eventID)
	}
	return first
}

// leaderID is the instance that leads, as the store knows it: this one if
// it does, else the live instance marked leader, else "".
func (a *app) leaderID(ctx context.Context) (string, error) {
	if a.election != nil {
		if lead, _ := a.election.Leading(); lead {
			return a.instance.ID, nil
		}
	}
	list, err := a.store.Instances(ctx, time.Now().Add(-a.store.InstanceLiveFor()))
	if err != nil {
		return "", err
	}
	for _, in := range list {
		if in.Leader {
			return in.ID, nil
		}
	}
	return "", nil
}

// othersWake is how soon the leader sends what a standby queued: a claim
// made with a button a standby answered shows on the alert, a subscription's
// first alerts go out.
const othersWake = 5 * time.Second

// wakeForOthers wakes the leader's dispatcher and edit worker now and then,
// for work another instance queued: its Wake reaches only its own process.
func (a *app) wakeForOthers(ctx context.Context) {
	tick := time.NewTicker(othersWake)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			a.dispatcher.Wake()
			a.editor.Wake()
		}
	}
}
