package watchers

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// granted reports whether grow returned within a short wait.
func granted(t *testing.T, h *bodyHold, n int64) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- h.grow(context.Background(), n) }()
	return done
}

func waitFor(t *testing.T, what string, c <-chan error) {
	t.Helper()
	select {
	case err := <-c:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still waiting", what)
	}
}

func stillWaiting(t *testing.T, what string, c <-chan error) {
	t.Helper()
	select {
	case err := <-c:
		t.Fatalf("%s was granted (err %v); it must wait", what, err)
	case <-time.After(20 * time.Millisecond):
	}
}

func TestBodyBudgetAdmitsByBytes(t *testing.T) {
	b := newBodyBudget(100)
	h1, h2, h3 := b.open(), b.open(), b.open()
	waitFor(t, "h1 60", granted(t, h1, 60))
	waitFor(t, "h2 30", granted(t, h2, 30))
	// 60+30+20 > 100 and h3 is not the oldest.
	w3 := granted(t, h3, 20)
	stillWaiting(t, "h3 20", w3)
	h2.release()
	waitFor(t, "h3 20 after h2's release", w3)
	if got := b.inUse(); got != 80 {
		t.Errorf("in use %d, want 80", got)
	}
	h1.release()
	h3.release()
	h3.release() // twice is harmless
	if got := b.inUse(); got != 0 {
		t.Errorf("in use %d after every release, want 0", got)
	}
}

// TestBodyBudgetOldestNeverWaits: holds that grow while holding could all
// wait for each other; the oldest goes on, over the limit if it must, and
// then nothing new is admitted until the total is under the limit again.
func TestBodyBudgetOldestNeverWaits(t *testing.T) {
	b := newBodyBudget(100)
	h1, h2, h3 := b.open(), b.open(), b.open()
	waitFor(t, "h1 50", granted(t, h1, 50))
	waitFor(t, "h2 50", granted(t, h2, 50))
	w2 := granted(t, h2, 50) // would deadlock with h1's below without the rule
	stillWaiting(t, "h2 +50", w2)
	waitFor(t, "the oldest, h1, +500: larger than the whole budget", granted(t, h1, 500))
	w3 := granted(t, h3, 1)
	stillWaiting(t, "h3 while the budget is overdrawn", w3)
	h1.release()
	// h2 is now the oldest: granted though 150 > 100; h3 then waits for it.
	waitFor(t, "h2 +50 once oldest", w2)
	stillWaiting(t, "h3 while h2 holds 100", w3)
	h2.release()
	waitFor(t, "h3 once the budget is free", w3)
	h3.release()
	if got := b.inUse(); got != 0 {
		t.Errorf("in use %d, want 0", got)
	}
}

func TestBodyBudgetWaitEndsWithContext(t *testing.T) {
	b := newBodyBudget(10)
	h1, h2 := b.open(), b.open()
	waitFor(t, "h1", granted(t, h1, 10))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := h2.grow(ctx, 5); err == nil {
		t.Fatal("grow did not give up with its context")
	}
	h2.release()
	h1.release()
	h3 := b.open()
	waitFor(t, "a new hold after the abandoned wait", granted(t, h3, 10))
}

// TestBodyBudgetUnderLoad: many holds growing in random steps all finish,
// and the bytes granted never pass the limit by more than one hold's.
func TestBodyBudgetUnderLoad(t *testing.T) {
	const limit, workers, maxHold = 1000, 24, 1500
	b := newBodyBudget(limit)
	var wg sync.WaitGroup
	var worst atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for range 30 {
				h := b.open()
				var total int64
				for total < int64(r.IntN(maxHold)) {
					n := int64(1 + r.IntN(300))
					if err := h.grow(context.Background(), n); err != nil {
						t.Error(err)
						return
					}
					total += n
					if u := b.inUse(); u > worst.Load() {
						worst.Store(u)
					}
				}
				h.release()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("holds still waiting after 30 s: a deadlock")
	}
	if got := b.inUse(); got != 0 {
		t.Errorf("in use %d after all released", got)
	}
	// One hold over the limit by at most its own size (maxHold + a step).
	if w := worst.Load(); w > limit+maxHold+300 {
		t.Errorf("%d bytes granted at once; the limit is %d plus one hold", w, limit)
	}
}

// TestFetchHoldsTheBodyUntilReleased: a body counts against the budget
// from its first byte until the caller lets it go, whether its length was
// announced or it came gzipped; Fetch and every way a poll ends give it all
// back.
func TestFetchHoldsTheBodyUntilReleased(t *testing.T) {
	big := bytes.Repeat([]byte("<!-- filler -->"), 200_000) // 3 MB
	feed := []byte(`<rss version="2.0"><channel><title>t</title><item><guid>a</guid><title>A</title></item></channel></rss>`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/plain":
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			_, _ = w.Write(big)
		case "/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			_, _ = gz.Write(big)
			_ = gz.Close()
		case "/feed":
			_, _ = w.Write(feed)
		case "/notfeed":
			_, _ = w.Write(big)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivateNetworks: true})
	ctx := context.Background()
	for _, path := range []string{"/plain", "/gzip"} {
		res, release, err := f.fetchHeld(ctx, srv.URL+path, Validators{})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.bodies.inUse(); got < int64(len(res.Body)) {
			t.Errorf("%s: %d bytes held for a %d-byte body", path, got, len(res.Body))
		}
		release()
		if got := f.bodies.inUse(); got != 0 {
			t.Errorf("%s: %d bytes held after release", path, got)
		}
		if _, err := f.Fetch(ctx, srv.URL+path, Validators{}); err != nil {
			t.Fatal(err)
		}
		if got := f.bodies.inUse(); got != 0 {
			t.Errorf("%s: %d bytes held after Fetch returned", path, got)
		}
	}
	var st model.SourceState
	for _, path := range []string{"/feed", "/feed", "/notfeed", "/missing"} {
		_, st, _ = NewFeedSource("s", srv.URL+path, f).Poll(ctx, st)
		if got := f.bodies.inUse(); got != 0 {
			t.Errorf("poll of %s: %d bytes held after it returned", path, got)
		}
	}
	// Pages and listings hold their bodies while they parse them too, and
	// give them back however the poll ends.
	for _, path := range []string{"/plain", "/plain", "/feed", "/missing"} {
		for _, src := range []Source{NewPageSource("p", srv.URL+path, f, ""), NewITUListingSource("l", srv.URL+path, f, 2)} {
			_, _, _ = src.Poll(ctx, model.SourceState{})
			if got := f.bodies.inUse(); got != 0 {
				t.Errorf("poll of %s by %T: %d bytes held after it returned", path, src, got)
			}
		}
	}
}

// TestFetchesShareTheBodyBudget: twelve 3 MB bodies fetched at once with a
// 8 MiB budget are all read, never more than the budget and one body at a
// time.
func TestFetchesShareTheBodyBudget(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gzip") != "" {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			_, _ = gz.Write(big)
			_ = gz.Close()
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		_, _ = w.Write(big)
	}))
	defer srv.Close()
	const budget = 8 << 20
	f := NewFetcher(FetcherOptions{AllowPrivateNetworks: true, BodyMemory: budget, PerHostConcurrency: 12})
	var wg sync.WaitGroup
	var worst, together, most atomic.Int64
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, release, err := f.fetchHeld(context.Background(), fmt.Sprintf("%s/%d?gzip=%s", srv.URL, i, map[bool]string{true: "1"}[i%2 == 0]), Validators{})
			defer release()
			if err != nil {
				t.Error(err)
				return
			}
			if !bytes.Equal(res.Body, big) {
				t.Error("wrong body")
			}
			n := together.Add(1)
			defer together.Add(-1)
			if n > most.Load() {
				most.Store(n)
			}
			if u := f.bodies.inUse(); u > worst.Load() {
				worst.Store(u)
			}
			time.Sleep(10 * time.Millisecond) // as if parsing
		}()
	}
	wg.Wait()
	// A gzipped body is read into doubling buffers: 4 MiB for 3 MiB.
	if w := worst.Load(); w > budget+4<<20 {
		t.Errorf("%d MiB held at once; the budget is %d MiB plus one body", w>>20, budget>>20)
	}
	if f.bodies.inUse() != 0 {
		t.Errorf("%d bytes held after every release", f.bodies.inUse())
	}
	t.Logf("at most %d bodies held at once, %d MiB", most.Load(), worst.Load()>>20)
}
