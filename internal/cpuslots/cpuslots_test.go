package cpuslots

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestAcquireAdmitsCapacityAtATime(t *testing.T) {
	var releases []func()
	for range cap(slots) {
		release, err := Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire with all %d slots taken = %v, want it to wait until ctx ends", cap(slots), err)
	}
	releases[0]()
	release, err := Acquire(context.Background())
	if err != nil {
		t.Fatalf("Acquire after a release: %v", err)
	}
	release()
	for _, release := range releases[1:] {
		release()
	}
}
