package watchers

import (
	"context"
	"slices"
	"sync"
)

// bodyBudget bounds the bytes of the response bodies being read and parsed
// at once. The number of polls in flight is bounded elsewhere, but one
// feed can be a thousand times larger than another: 64 polls of 6 MB feeds
// held 2 GB. Every fetch opens a hold once it has a connection and grows it
// before each buffer it allocates; a hold that does not fit waits.
//
// Holds grow while holding, so all of them could wait for each other; to
// rule that out, the oldest open hold is never made to wait. It may take
// the budget over its limit, by at most one body (MaxBodyBytes), and then
// nothing else is admitted until the total is back under the limit: a body
// larger than the whole budget is read with what was already admitted, and
// nothing new beside it.
type bodyBudget struct {
	limit int64

	mu      sync.Mutex
	used    int64
	seq     uint64
	holds   []*bodyHold // open, oldest first
	waiting []*budgetWait
}

type bodyHold struct {
	b   *bodyBudget
	seq uint64
	n   int64 // bytes granted, guarded by b.mu
}

type budgetWait struct {
	h     *bodyHold
	n     int64
	ready chan struct{} // closed once granted
}

func newBodyBudget(limit int64) *bodyBudget { return &bodyBudget{limit: limit} }

// open starts a hold of no bytes.
func (b *bodyBudget) open() *bodyHold {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	h := &bodyHold{b: b, seq: b.seq}
	b.holds = append(b.holds, h)
	return h
}

// grow adds n bytes to the hold, waiting until they fit, or until the hold
// is the oldest, or until ctx ends.
func (h *bodyHold) grow(ctx context.Context, n int64) error {
	b := h.b
	b.mu.Lock()
	if b.fits(h, n) {
		b.used += n
		h.n += n
		b.mu.Unlock()
		return nil
	}
	w := &budgetWait{h: h, n: n, ready: make(chan struct{})}
	b.waiting = append(b.waiting, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready:
		// Granted meanwhile: the bytes are the hold's, freed by release.
	default:
		b.waiting = slices.DeleteFunc(b.waiting, func(x *budgetWait) bool { return x == w })
	}
	return ctx.Err()
}

// release gives back everything the hold has; it may be called again.
func (h *bodyHold) release() {
	b := h.b
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.Index(b.holds, h)
	if i < 0 {
		return
	}
	b.holds = slices.Delete(b.holds, i, i+1)
	b.used -= h.n
	h.n = 0
	// Grant what now fits, in the order it was asked for; the next oldest
	// hold may now be among the waiters.
	kept := b.waiting[:0]
	for _, w := range b.waiting {
		if b.fits(w.h, w.n) {
			b.used += w.n
			w.h.n += w.n
			close(w.ready)
			continue
		}
		kept = append(kept, w)
	}
	clear(b.waiting[len(kept):])
	b.waiting = kept
}

// fits reports whether n more bytes may be granted to h now.
func (b *bodyBudget) fits(h *bodyHold, n int64) bool {
	return b.used+n <= b.limit || (len(b.holds) > 0 && b.holds[0] == h)
}

// inUse is the bytes granted and not released; read by tests.
func (b *bodyBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
