package watchers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ituwatch/ituwatch/model"
)

// Source is one thing the scheduler polls.
type Source interface {
	ID() string
	// Poll fetches and parses. It returns the items of a changed body (nil
	// items when not modified) and prev with what the source remembers
	// between polls moved forward: validators, page text, warning. The
	// scheduler commits that state only once the items are stored, and
	// ignores it when Poll fails.
	Poll(ctx context.Context, prev model.SourceState) ([]model.Item, model.SourceState, error)
}

// StateStore remembers each source's validators and health between polls.
type StateStore interface {
	SourceState(ctx context.Context, sourceID string) (model.SourceState, error)
	SaveSourceState(ctx context.Context, st model.SourceState) error
}

// Sink is the pipeline's ingest; an error here is a poll failure too.
type Sink func(ctx context.Context, sourceID string, items []model.Item) error

// SchedulerOptions configures a Scheduler; only States is required.
type SchedulerOptions struct {
	States     StateStore
	Sink       Sink
	Logger     *slog.Logger
	Jitter     time.Duration    // max random delay added to each scheduled poll (default 10% of interval, capped at 2m; negative: none)
	Now        func() time.Time // fake clock for tests; default time.Now
	MaxBackoff time.Duration    // default 6h
	// OnPoll, if set, is told the result of every poll, skipped ones
	// included (for metrics). It runs on the polling goroutine: keep it quick.
	OnPoll func(PollResult)
	// PollAllConcurrency bounds how many sources PollAll polls at once
	// (ituwatch takes it from http.concurrency; 0 = every source at once).
	// Polls mostly wait on the network, so thousands of sources on many
	// hosts need many; the fetcher's per-host limit still protects each
	// site.
	PollAllConcurrency int
}

// PollResult is what one poll of one source came to.
type PollResult struct {
	SourceID    string
	Items       int
	NotModified bool
	Skipped     string // why the source was not polled: "backing off until ...", "retired", ...
	Err         error
	Duration    time.Duration
}

const (
	baseBackoff       = time.Minute
	defaultMaxBackoff = 6 * time.Hour
	maxDefaultJitter  = 2 * time.Minute
	saveTimeout       = 10 * time.Second
)

// GoneMessage is the LastError of a source retired after a 410.
const GoneMessage = "the source says it is gone (HTTP 410); polling stopped — remove or fix it in the config"

var specParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Scheduler polls sources on their cron schedules with jitter, backoff after
// failures and no overlapping polls of one source.
type Scheduler struct {
	opts SchedulerOptions
	log  *slog.Logger

	mu      sync.Mutex
	entries []*entry
	byID    map[string]*entry
	cron    *cron.Cron // set while Run is running
	runCtx  context.Context
}

type entry struct {
	src      Source
	spec     string
	schedule cron.Schedule
	jitter   time.Duration
	running  atomic.Bool
	// state is the source's state as last loaded or saved; only the poll
	// holding running touches it. The scheduler is the only writer of
	// source states, so the store is read once per source, not per poll.
	state *model.SourceState
}

// NewScheduler builds a Scheduler; add sources with Add, then Run.
func NewScheduler(opts SchedulerOptions) *Scheduler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = defaultMaxBackoff
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{opts: opts, log: log, byID: make(map[string]*entry)}
}

// Add schedules src. spec is a five-field cron line ("*/15 * * * *") or a
// descriptor ("@every 15m", "@hourly", "@daily").
func (s *Scheduler) Add(src Source, spec string) error {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return fmt.Errorf("source %s has no schedule; write one like \"*/15 * * * *\" (every 15 minutes) or \"@every 30m\"", src.ID())
	}
	sched, err := specParser.Parse(spec)
	if err != nil {
		return fmt.Errorf("schedule %q of source %s is not valid (%v); write a five-field cron line like \"*/15 * * * *\" (every 15 minutes) or \"@every 30m\"", spec, src.ID(), err)
	}
	e := &entry{src: src, spec: spec, schedule: sched, jitter: s.opts.Jitter}
	if e.jitter == 0 {
		e.jitter = defaultJitter(sched, s.opts.Now())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.byID[src.ID()]; dup {
		return fmt.Errorf("source id %q is used twice; give each source its own id", src.ID())
	}
	s.entries = append(s.entries, e)
	s.byID[src.ID()] = e
	if s.cron != nil {
		s.scheduleLocked(e)
	}
	return nil
}

// defaultJitter is a tenth of the schedule's interval, at most two minutes.
func defaultJitter(sched cron.Schedule, now time.Time) time.Duration {
	first := sched.Next(now)
	interval := sched.Next(first).Sub(first)
	return min(interval/10, maxDefaultJitter)
}

// Run polls every source once (respecting backoff), then on schedule, until
// ctx ends; it returns after the polls under way have finished.
func (s *Scheduler) Run(ctx context.Context) error {
	s.PollAll(ctx)
	if ctx.Err() != nil {
		return nil
	}
	c := cron.New(cron.WithParser(specParser), cron.WithLogger(cron.DiscardLogger))
	s.mu.Lock()
	s.cron, s.runCtx = c, ctx
	for _, e := range s.entries {
		s.scheduleLocked(e)
	}
	s.mu.Unlock()
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	s.mu.Lock()
	s.cron, s.runCtx = nil, nil
	s.mu.Unlock()
	return nil
}

func (s *Scheduler) scheduleLocked(e *entry) {
	ctx := s.runCtx
	s.cron.Schedule(e.schedule, cron.FuncJob(func() {
		if e.jitter > 0 {
			t := time.NewTimer(rand.N(e.jitter))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
		s.poll(ctx, e)
	}))
}

// PollAll polls every source once, concurrently with a bound, and returns
// the results in the order the sources were added.
func (s *Scheduler) PollAll(ctx context.Context) []PollResult {
	s.mu.Lock()
	entries := slices.Clone(s.entries)
	s.mu.Unlock()
	results := make([]PollResult, len(entries))
	// A pool of pollers rather than a goroutine per source: each poller's
	// stack grows once to what a poll needs, not once per source.
	next := make(chan int)
	var wg sync.WaitGroup
	pollers := len(entries)
	if s.opts.PollAllConcurrency > 0 {
		pollers = min(s.opts.PollAllConcurrency, pollers)
	}
	for range pollers {
		wg.Go(func() {
			for i := range next {
				results[i] = s.poll(ctx, entries[i])
			}
		})
	}
	for i, e := range entries {
		if ctx.Err() == nil {
			select {
			case next <- i:
				continue
			case <-ctx.Done():
			}
		}
		results[i] = PollResult{SourceID: e.src.ID(), Skipped: "shutting down", Err: ctx.Err()}
	}
	close(next)
	wg.Wait()
	return results
}

// poll runs one poll of e and reports it to the OnPoll hook.
func (s *Scheduler) poll(ctx context.Context, e *entry) PollResult {
	res := s.pollEntry(ctx, e)
	if s.opts.OnPoll != nil {
		s.opts.OnPoll(res)
	}
	return res
}

// pollEntry runs one poll of e: load state, Poll, hand items to the Sink,
// save state with the outcome.
func (s *Scheduler) pollEntry(ctx context.Context, e *entry) PollResult {
	id := e.src.ID()
	res := PollResult{SourceID: id}
	if !e.running.CompareAndSwap(false, true) {
		res.Skipped = "the previous poll is still running"
		s.log.Debug("poll skipped", "source", id, "reason", res.Skipped)
		return res
	}
	defer e.running.Store(false)

	start := s.opts.Now()
	if e.state == nil {
		st, err := s.opts.States.SourceState(ctx, id)
		if err != nil {
			res.Err = fmt.Errorf("load state of source %s: %w", id, err)
			s.log.Warn("poll failed", "source", id, "error", res.Err, "failures", 0)
			return res
		}
		st.SourceID = id
		e.state = &st
	}
	st := *e.state
	if st.Retired {
		res.Skipped = "retired"
		res.Err = errors.New(retiredReason(st))
		return res
	}
	if start.Before(st.NextPoll) {
		res.Skipped = "backing off until " + st.NextPoll.UTC().Format("2006-01-02 15:04 UTC")
		if st.LastError != "" {
			res.Skipped += " after: " + st.LastError
		}
		s.log.Debug("poll skipped", "source", id, "reason", res.Skipped)
		return res
	}

	before := st
	items, next, err := s.safePoll(ctx, e.src, st)
	if err == nil && len(items) > 0 && s.opts.Sink != nil {
		for i := range items {
			if items[i].SourceID == "" {
				items[i].SourceID = id
			}
		}
		if serr := s.opts.Sink(ctx, id, items); serr != nil {
			err = fmt.Errorf("store the %d items: %w", len(items), serr)
		}
	}
	now := s.opts.Now()
	res.Duration = now.Sub(start)
	st.LastPoll = now

	if err != nil && ctx.Err() != nil {
		// Shutting down: not the source's fault, and nothing to remember.
		res.Err = err
		return res
	}

	if err != nil {
		// The source's new validators and page text are not taken: the
		// next poll sees the same content again instead of "not modified".
		st.ConsecutiveFailures++
		st.LastError = err.Error()
		var se *StatusError
		switch {
		case errors.As(err, &se) && se.Code == 410:
			st.Retired = true
			st.LastError = GoneMessage
			err = fmt.Errorf("%s: %w", GoneMessage, err)
		case errors.As(err, &se) && se.RetryAfter > 0:
			st.NextPoll = now.Add(min(se.RetryAfter, s.opts.MaxBackoff))
		default:
			st.NextPoll = now.Add(s.backoff(st.ConsecutiveFailures))
		}
		res.Err = err
		s.log.Warn("poll failed", "source", id, "error", err.Error(), "failures", st.ConsecutiveFailures)
	} else {
		// The items are stored: now, and only now, what the source read
		// becomes what it remembers.
		st = withPolled(st, next)
		st.ConsecutiveFailures = 0
		st.LastSuccess = now
		st.LastError = ""
		st.NextPoll = time.Time{}
		st.ItemsSeen += len(items)
		res.Items = len(items)
		res.NotModified = items == nil
		s.log.Debug("poll", "source", id, "items", len(items), "not_modified", res.NotModified, "duration", res.Duration)
		// Once per change, not per poll: the warning stays in the state
		// (sources and status show it) while the source reads the same.
		if st.Warning != before.Warning {
			if st.Warning != "" {
				s.log.Warn("source warning", "source", id, "warning", st.Warning)
			} else {
				s.log.Info("source warning cleared", "source", id)
			}
		}
	}

	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	e.state = &st
	if serr := s.opts.States.SaveSourceState(saveCtx, st); serr != nil {
		e.state = nil // what the store holds is unknown: read it again
		serr = fmt.Errorf("save state of source %s: %w", id, serr)
		s.log.Error("save source state", "source", id, "error", serr.Error())
		if res.Err == nil {
			res.Err = serr
		}
	}
	return res
}

// backoff after n consecutive failures: base·2^(n-1), capped, plus up to 10%
// jitter so that sources failing together do not retry together.
func (s *Scheduler) backoff(n int) time.Duration {
	d := baseBackoff
	for i := 1; i < n && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxBackoff)
	if j := d / 10; j > 0 {
		d += rand.N(j)
	}
	return min(d, s.opts.MaxBackoff)
}

func retiredReason(st model.SourceState) string {
	if st.LastError != "" {
		return st.LastError
	}
	return GoneMessage
}

// withPolled is st with what a source's poll owns taken from next: the
// validators, the page text and the warning. The health fields stay the
// scheduler's.
func withPolled(st, next model.SourceState) model.SourceState {
	st.ETag, st.LastModified, st.BodyHash = next.ETag, next.LastModified, next.BodyHash
	st.PageText, st.Warning = next.PageText, next.Warning
	return st
}

// safePoll turns a panic in one source into that source's failure.
func (s *Scheduler) safePoll(ctx context.Context, src Source, prev model.SourceState) (items []model.Item, next model.SourceState, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("source panicked", "source", src.ID(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			items, next, err = nil, prev, fmt.Errorf("the source crashed while polling (%v); this is a bug in ituwatch, please report it", r)
		}
	}()
	return src.Poll(ctx, prev)
}
