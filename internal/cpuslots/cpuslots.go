// Package cpuslots admits CPU-bound work (parsing a feed, matching its
// items against the rules) a few pieces at a time.
//
// Every poll waits for the store's single writer. The Go scheduler shares
// the cores evenly among runnable goroutines, so when a hundred pollers
// parse at once the writer gets a small share of a core, is preempted in
// the middle of its commits, and every poll waits longer: the first poll
// cycle of 2,000 feeds took 6–7 s with the cores a quarter idle. Admitting
// one piece of work more than there are cores keeps the cores busy and
// leaves the writer a fair share of them: 4.8–5.1 s for the same cycle
// (BENCHMARKS.md, §2 step 14).
package cpuslots

import (
	"context"
	"runtime"
)

var slots = make(chan struct{}, runtime.GOMAXPROCS(0)+1)

// Acquire waits for a slot, or for ctx to end. The caller must call
// release once its CPU-bound work is done, and must not wait for other
// work (I/O, a lock, another goroutine) while it holds the slot.
func Acquire(ctx context.Context) (release func(), err error) {
	select {
	case slots <- struct{}{}:
		return releaseSlot, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func releaseSlot() { <-slots }
