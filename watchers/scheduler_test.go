package watchers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

type memStates struct {
	mu      sync.Mutex
	m       map[string]model.SourceState
	loads   int
	saveErr error
}

func (s *memStates) SourceState(_ context.Context, id string) (model.SourceState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	return s.m[id], nil
}

func (s *memStates) SaveSourceState(_ context.Context, st model.SourceState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saveErr != nil {
		return s.saveErr
	}
	if s.m == nil {
		s.m = map[string]model.SourceState{}
	}
	s.m[st.SourceID] = st
	return nil
}

func (s *memStates) get(id string) model.SourceState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[id]
}

// funcSource is a Source whose poll moves a copy of the state forward in
// place; Poll returns the moved copy, also when poll fails, so tests see
// the scheduler drop it.
type funcSource struct {
	id   string
	poll func(ctx context.Context, st *model.SourceState) ([]model.Item, error)
}

func (f *funcSource) ID() string { return f.id }
func (f *funcSource) Poll(ctx context.Context, prev model.SourceState) ([]model.Item, model.SourceState, error) {
	next := prev
	items, err := f.poll(ctx, &next)
	return items, next, err
}

type sinkRecorder struct {
	mu    sync.Mutex
	items map[string][]model.Item
	err   error
}

func (r *sinkRecorder) Sink(_ context.Context, id string, items []model.Item) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.items == nil {
		r.items = map[string][]model.Item{}
	}
	r.items[id] = append(r.items[id], items...)
	return r.err
}

var t0 = time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)

func newTestScheduler(states *memStates, sink Sink) (*Scheduler, *fakeClock) {
	clock := &fakeClock{now: t0}
	return NewScheduler(SchedulerOptions{States: states, Sink: sink, Now: clock.Now, Jitter: -1}), clock
}

func items(n int) []model.Item {
	out := make([]model.Item, n)
	for i := range out {
		out[i] = model.Item{ID: fmt.Sprint(i), Title: "ITU Council document"}
	}
	return out
}

func TestSchedulerAddSpecs(t *testing.T) {
	s, _ := newTestScheduler(&memStates{}, nil)
	good := []string{"*/15 * * * *", "@every 15m", "@hourly", "@daily", "0 6 * * 1-5"}
	for i, spec := range good {
		src := &funcSource{id: fmt.Sprint("good", i)}
		if err := s.Add(src, spec); err != nil {
			t.Errorf("Add(%q): %v", spec, err)
		}
	}
	for i, spec := range []string{"every 15 minutes", "*/15 * * *", "61 * * * *", "@sometimes", ""} {
		err := s.Add(&funcSource{id: fmt.Sprint("bad", i)}, spec)
		if err == nil {
			t.Errorf("Add(%q) accepted", spec)
			continue
		}
		if !strings.Contains(err.Error(), "*/15 * * * *") || (spec != "" && !strings.Contains(err.Error(), spec)) {
			t.Errorf("Add(%q) error does not name the spec and an example: %v", spec, err)
		}
	}
	if err := s.Add(&funcSource{id: "good0"}, "@hourly"); err == nil {
		t.Error("a repeated source id was accepted")
	}
}

func TestSchedulerSuccess(t *testing.T) {
	states := &memStates{}
	rec := &sinkRecorder{}
	s, clock := newTestScheduler(states, rec.Sink)
	_ = s.Add(&funcSource{id: "cwg", poll: func(ctx context.Context, st *model.SourceState) ([]model.Item, error) {
		st.ETag = `"new"`
		return items(3), nil
	}}, "@every 15m")
	states.SaveSourceState(context.Background(), model.SourceState{SourceID: "cwg", ConsecutiveFailures: 2, LastError: "old", ItemsSeen: 10})

	res := pollOne(context.Background(), s, "cwg")
	if res.Err != nil || res.Items != 3 || res.NotModified || res.Skipped != "" {
		t.Fatalf("result %+v", res)
	}
	st := states.get("cwg")
	if st.ConsecutiveFailures != 0 || st.LastError != "" || !st.LastSuccess.Equal(clock.Now()) || !st.LastPoll.Equal(clock.Now()) || st.ItemsSeen != 13 || st.ETag != `"new"` {
		t.Errorf("state after success: %+v", st)
	}
	if got := rec.items["cwg"]; len(got) != 3 || got[0].SourceID != "cwg" {
		t.Errorf("sink got %+v", got)
	}
}

func TestSchedulerNotModified(t *testing.T) {
	states := &memStates{}
	rec := &sinkRecorder{}
	s, _ := newTestScheduler(states, rec.Sink)
	_ = s.Add(&funcSource{id: "x", poll: func(context.Context, *model.SourceState) ([]model.Item, error) { return nil, nil }}, "@hourly")
	res := pollOne(context.Background(), s, "x")
	if !res.NotModified || res.Err != nil || len(rec.items) != 0 {
		t.Errorf("result %+v, sink %v", res, rec.items)
	}
	if st := states.get("x"); st.LastPoll.IsZero() {
		t.Error("LastPoll not set")
	}
}

func TestSchedulerBackoffGrowsAndCaps(t *testing.T) {
	states := &memStates{}
	s, clock := newTestScheduler(states, nil)
	s.opts.MaxBackoff = time.Hour
	calls := 0
	_ = s.Add(&funcSource{id: "down", poll: func(context.Context, *model.SourceState) ([]model.Item, error) {
		calls++
		return nil, errors.New("connection refused")
	}}, "@every 5m")

	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, base := range want {
		res := pollOne(context.Background(), s, "down")
		if res.Err == nil {
			t.Fatalf("poll %d: no error", i+1)
		}
		st := states.get("down")
		if st.ConsecutiveFailures != i+1 || st.LastError != "connection refused" {
			t.Fatalf("poll %d: state %+v", i+1, st)
		}
		wait := st.NextPoll.Sub(clock.Now())
		if wait < base || wait > base+base/10 || wait > time.Hour {
			t.Errorf("failure %d: next poll in %v, want %v plus at most 10%% (cap 1h)", i+1, wait, base)
		}
		// Before NextPoll the source is left alone.
		clock.Set(st.NextPoll.Add(-time.Second))
		if res := pollOne(context.Background(), s, "down"); !strings.HasPrefix(res.Skipped, "backing off until") {
			t.Fatalf("poll during backoff: %+v", res)
		}
		clock.Set(st.NextPoll)
	}
	if calls != len(want) {
		t.Errorf("source polled %d times, want %d", calls, len(want))
	}
}

func TestSchedulerRetryAfter(t *testing.T) {
	states := &memStates{}
	s, clock := newTestScheduler(states, nil)
	_ = s.Add(&funcSource{id: "busy", poll: func(context.Context, *model.SourceState) ([]model.Item, error) {
		return nil, &StatusError{URL: "https://www.itu.int/feed", Code: 503, RetryAfter: 7 * time.Minute}
	}}, "@hourly")
	pollOne(context.Background(), s, "busy")
	if st := states.get("busy"); !st.NextPoll.Equal(clock.Now().Add(7 * time.Minute)) {
		t.Errorf("NextPoll %v, want now + 7m", st.NextPoll)
	}
}

func TestSchedulerGoneRetires(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.WriteHeader(http.StatusGone)
	}))
	defer srv.Close()
	states := &memStates{}
	s, _ := newTestScheduler(states, nil)
	_ = s.Add(NewFeedSource("old", srv.URL, testFetcher(FetcherOptions{})), "@hourly")

	res := pollOne(context.Background(), s, "old")
	if res.Err == nil {
		t.Fatal("410 was not a failure")
	}
	st := states.get("old")
	if !st.Retired || st.LastError != GoneMessage {
		t.Fatalf("state after 410: %+v", st)
	}
	res = pollOne(context.Background(), s, "old")
	if res.Skipped != "retired" || hits != 1 {
		t.Errorf("retired source polled again: %+v, %d requests", res, hits)
	}
}

func TestSchedulerPanicIsolated(t *testing.T) {
	states := &memStates{}
	rec := &sinkRecorder{}
	s, _ := newTestScheduler(states, rec.Sink)
	ok := func(context.Context, *model.SourceState) ([]model.Item, error) { return items(1), nil }
	_ = s.Add(&funcSource{id: "a", poll: ok}, "@hourly")
	_ = s.Add(&funcSource{id: "boom", poll: func(context.Context, *model.SourceState) ([]model.Item, error) {
		var m map[string]int
		m["x"]++ // nil map write
		return nil, nil
	}}, "@hourly")
	_ = s.Add(&funcSource{id: "c", poll: ok}, "@hourly")

	results := s.PollAll(context.Background())
	if len(results) != 3 {
		t.Fatalf("%d results", len(results))
	}
	for i, want := range []string{"a", "boom", "c"} {
		if results[i].SourceID != want {
			t.Errorf("result %d is %s, want %s (source order)", i, results[i].SourceID, want)
		}
	}
	if results[0].Err != nil || results[2].Err != nil || results[0].Items != 1 || results[2].Items != 1 {
		t.Errorf("healthy sources affected: %+v %+v", results[0], results[2])
	}
	if results[1].Err == nil || !strings.Contains(results[1].Err.Error(), "crashed") {
		t.Errorf("panic not reported: %+v", results[1])
	}
	if st := states.get("boom"); st.ConsecutiveFailures != 1 || st.LastError == "" {
		t.Errorf("panic not recorded: %+v", st)
	}
}

func TestSchedulerNoOverlap(t *testing.T) {
	states := &memStates{}
	s, _ := newTestScheduler(states, nil)
	started, release := make(chan struct{}), make(chan struct{})
	_ = s.Add(&funcSource{id: "slow", poll: func(context.Context, *model.SourceState) ([]model.Item, error) {
		close(started)
		<-release
		return nil, nil
	}}, "@every 1m")
	done := make(chan PollResult)
	go func() { done <- pollOne(context.Background(), s, "slow") }()
	<-started
	if res := pollOne(context.Background(), s, "slow"); !strings.Contains(res.Skipped, "still running") {
		t.Errorf("overlapping poll: %+v", res)
	}
	close(release)
	if res := <-done; res.Err != nil {
		t.Error(res.Err)
	}
}

func TestSchedulerSinkFailureKeepsValidators(t *testing.T) {
	states := &memStates{}
	rec := &sinkRecorder{err: errors.New("database is locked")}
	s, _ := newTestScheduler(states, rec.Sink)
	_ = s.Add(&funcSource{id: "x", poll: func(_ context.Context, st *model.SourceState) ([]model.Item, error) {
		st.ETag, st.BodyHash = `"v2"`, "h2"
		return items(2), nil
	}}, "@hourly")
	states.SaveSourceState(context.Background(), model.SourceState{SourceID: "x", ETag: `"v1"`, BodyHash: "h1", ItemsSeen: 5})
	res := pollOne(context.Background(), s, "x")
	if res.Err == nil || !strings.Contains(res.Err.Error(), "database is locked") {
		t.Fatalf("sink error not reported: %+v", res)
	}
	st := states.get("x")
	if st.ETag != `"v1"` || st.BodyHash != "h1" || st.ConsecutiveFailures != 1 || st.ItemsSeen != 5 {
		t.Errorf("state after sink failure: %+v", st)
	}
}

// What a source read is committed only with its items: a poll that fails,
// or whose items cannot be stored, leaves the validators, page text and
// warning as they were, so the next poll reads the same content again.
func TestSchedulerCommitsStateOnlyAfterItemsStored(t *testing.T) {
	prev := model.SourceState{SourceID: "x", ETag: `"v1"`, LastModified: "Mon, 01 Jun 2026 10:00:00 GMT", BodyHash: "h1", PageText: "old text", Warning: "old warning", ItemsSeen: 5}
	moved := func(st *model.SourceState) {
		st.ETag, st.LastModified, st.BodyHash = `"v2"`, "Tue, 02 Jun 2026 10:00:00 GMT", "h2"
		st.PageText, st.Warning = "new text", ""
	}
	tests := []struct {
		name    string
		pollErr error
		sinkErr error
		want    model.SourceState // the fields a source owns
	}{
		{name: "stored", want: model.SourceState{ETag: `"v2"`, LastModified: "Tue, 02 Jun 2026 10:00:00 GMT", BodyHash: "h2", PageText: "new text"}},
		{name: "poll failed", pollErr: errors.New("unreadable feed"), want: prev},
		{name: "store failed", sinkErr: errors.New("database is locked"), want: prev},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			states := &memStates{m: map[string]model.SourceState{"x": prev}}
			rec := &sinkRecorder{err: tt.sinkErr}
			s, _ := newTestScheduler(states, rec.Sink)
			_ = s.Add(&funcSource{id: "x", poll: func(_ context.Context, st *model.SourceState) ([]model.Item, error) {
				moved(st)
				return items(2), tt.pollErr
			}}, "@hourly")
			res := pollOne(context.Background(), s, "x")
			if (res.Err != nil) != (tt.pollErr != nil || tt.sinkErr != nil) {
				t.Fatalf("result %+v", res)
			}
			got := states.get("x")
			if got.ETag != tt.want.ETag || got.LastModified != tt.want.LastModified || got.BodyHash != tt.want.BodyHash ||
				got.PageText != tt.want.PageText || got.Warning != tt.want.Warning {
				t.Errorf("stored state %+v, want the source's fields of %+v", got, tt.want)
			}
		})
	}
}

func TestSchedulerRun(t *testing.T) {
	states := &memStates{}
	polled := make(chan string, 4)
	s, _ := newTestScheduler(states, func(_ context.Context, id string, _ []model.Item) error {
		polled <- id
		return nil
	})
	for _, id := range []string{"a", "b"} {
		_ = s.Add(&funcSource{id: id, poll: func(context.Context, *model.SourceState) ([]model.Item, error) { return items(1), nil }}, "@every 1h")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	seen := map[string]bool{<-polled: true, <-polled: true}
	if !seen["a"] || !seen["b"] {
		t.Errorf("initial polls reached %v", seen)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestDefaultJitter(t *testing.T) {
	tests := []struct {
		spec string
		want time.Duration
	}{
		{"@every 10m", time.Minute},
		{"*/15 * * * *", 90 * time.Second},
		{"@hourly", 2 * time.Minute},
		{"@daily", 2 * time.Minute},
	}
	for _, tt := range tests {
		sched, err := specParser.Parse(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := defaultJitter(sched, t0); got != tt.want {
			t.Errorf("defaultJitter(%s) = %v, want %v", tt.spec, got, tt.want)
		}
	}
}

// The scheduler is the only writer of source states: it reads a source's
// state from the store once, and again only after a save failed.
func TestSchedulerReadsStateOnce(t *testing.T) {
	states := &memStates{m: map[string]model.SourceState{"s": {SourceID: "s", ETag: `"v1"`}}}
	var etags []string
	src := &funcSource{id: "s", poll: func(_ context.Context, st *model.SourceState) ([]model.Item, error) {
		etags = append(etags, st.ETag)
		st.ETag = fmt.Sprintf(`"v%d"`, len(etags)+1)
		return nil, nil
	}}
	s, _ := newTestScheduler(states, nil)
	if err := s.Add(src, "@hourly"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if res := pollOne(ctx, s, "s"); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	if states.loads != 1 {
		t.Errorf("3 polls read the state %d times, want once", states.loads)
	}
	if want := []string{`"v1"`, `"v2"`, `"v3"`}; !slices.Equal(etags, want) {
		t.Errorf("polls saw etags %v, want %v (each poll's own update)", etags, want)
	}

	// A failed save leaves the stored state unknown: the next poll reads it.
	states.mu.Lock()
	states.saveErr = errors.New("disk full")
	states.mu.Unlock()
	if res := pollOne(ctx, s, "s"); res.Err == nil || !strings.Contains(res.Err.Error(), "disk full") {
		t.Fatalf("poll with a failing save: %v", res.Err)
	}
	states.mu.Lock()
	states.saveErr = nil
	states.mu.Unlock()
	pollOne(ctx, s, "s")
	if states.loads != 2 || etags[len(etags)-1] != `"v4"` {
		t.Errorf("after a failed save: %d loads, last etag seen %s; want 2 loads and the stored \"v4\"", states.loads, etags[len(etags)-1])
	}
}

// PollAll polls every source, at most PollAllConcurrency at once; once ctx
// ends, the sources not yet started are reported as skipped.
func TestSchedulerPollAllBoundsAndStops(t *testing.T) {
	const sources, bound = 12, 3
	var (
		mu            sync.Mutex
		running, peak int
		release       = make(chan struct{})
		started       = make(chan string, sources)
	)
	s := NewScheduler(SchedulerOptions{States: &memStates{}, Jitter: -1, PollAllConcurrency: bound})
	for i := range sources {
		id := fmt.Sprint("src-", i)
		if err := s.Add(&funcSource{id: id, poll: func(ctx context.Context, _ *model.SourceState) ([]model.Item, error) {
			mu.Lock()
			running++
			peak = max(peak, running)
			mu.Unlock()
			started <- id
			select {
			case <-release:
			case <-ctx.Done():
			}
			mu.Lock()
			running--
			mu.Unlock()
			return nil, nil
		}}, "@every 15m"); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		time.Sleep(50 * time.Millisecond) // let the pool fill up
		close(release)
	}()
	results := s.PollAll(context.Background())
	if len(results) != sources || len(started) != sources {
		t.Fatalf("%d results, %d sources polled, want %d of each", len(results), len(started), sources)
	}
	if peak != bound {
		t.Errorf("%d sources polled at once, want %d", peak, bound)
	}

	// Stopping: the sources that were polling finish, the others are skipped.
	s2 := NewScheduler(SchedulerOptions{States: &memStates{}, Jitter: -1, PollAllConcurrency: bound})
	polled := make(chan struct{}, sources)
	ctx, cancel := context.WithCancel(context.Background())
	for i := range sources {
		if err := s2.Add(&funcSource{id: fmt.Sprint("src-", i), poll: func(ctx context.Context, _ *model.SourceState) ([]model.Item, error) {
			polled <- struct{}{}
			<-ctx.Done()
			return nil, ctx.Err()
		}}, "@every 15m"); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		for range bound {
			<-polled
		}
		cancel()
	}()
	skipped := 0
	for _, r := range s2.PollAll(ctx) {
		if r.Err == nil {
			t.Errorf("%s: no error after the poll cycle was stopped", r.SourceID)
		}
		if r.Skipped == "shutting down" {
			skipped++
		}
	}
	// One source may be handed to a poller just as the stop comes.
	if skipped < sources-bound-1 {
		t.Errorf("%d sources skipped after the stop, want the %d not yet started", skipped, sources-bound)
	}
}

// pollInto polls src from *state and keeps the state the poll returns, also
// when it fails: a source must return its input unchanged then, and tests
// that check it would pass vacuously if the failed state were dropped here.
func pollInto(ctx context.Context, src Source, state *model.SourceState) ([]model.Item, error) {
	items, next, err := src.Poll(ctx, *state)
	*state = next
	return items, err
}

// pollOne polls the source id once, as its cron entry would (respecting
// backoff and overlap).
func pollOne(ctx context.Context, s *Scheduler, id string) PollResult {
	s.mu.Lock()
	e := s.byID[id]
	s.mu.Unlock()
	return s.poll(ctx, e)
}

// A zero PollAllConcurrency sets no bound: ituwatch always passes its
// config's http.concurrency, and the scheduler keeps no default of its own.
func TestSchedulerPollAllZeroBoundPollsEverySourceAtOnce(t *testing.T) {
	const sources = 20
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	started, release := make(chan struct{}, sources), make(chan struct{})
	s := NewScheduler(SchedulerOptions{States: &memStates{}, Jitter: -1})
	for i := range sources {
		if err := s.Add(&funcSource{id: fmt.Sprint("src-", i), poll: func(ctx context.Context, _ *model.SourceState) ([]model.Item, error) {
			started <- struct{}{}
			select {
			case <-release: // every source is polling
				return nil, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}}, "@every 15m"); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		for range sources {
			select {
			case <-started:
			case <-ctx.Done():
				return
			}
		}
		close(release)
	}()
	for _, r := range s.PollAll(ctx) {
		if r.Err != nil {
			t.Fatalf("%s: %v; not every source was polled at once", r.SourceID, r.Err)
		}
	}
}
