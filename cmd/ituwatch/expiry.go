package main

import (
	"context"
	"time"

	"github.com/ituwatch/ituwatch/pipeline"
)

// expiryEvery is how often `run` ends the mutes and snoozes whose time ran
// out: a mute ends within a minute of its time, and its notice (or a
// snooze's summing-up update) goes out right after.
const expiryEvery = time.Minute

// runExpiry ends expired mutes and snoozes until ctx is done.
func (a *app) runExpiry(ctx context.Context) error {
	pipeline.RunExpiry(ctx, a.store, expiryEvery, time.Now, a.dispatcher.Wake, a.log)
	return nil
}
