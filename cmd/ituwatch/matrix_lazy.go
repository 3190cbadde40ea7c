package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ituwatch/ituwatch/bot"
	"github.com/ituwatch/ituwatch/bot/matrix"
)

// lazyMatrix logs in to the homeserver on first use instead of at start, so
// a homeserver that is down when ituwatch starts delays Matrix deliveries
// (they stay queued and are retried) without stopping the watchers or the
// other platforms.
type lazyMatrix struct {
	opts matrix.Options
	log  *slog.Logger

	mu     sync.Mutex
	client *matrix.Client
}

func (l *lazyMatrix) get(ctx context.Context) (*matrix.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client != nil {
		return l.client, nil
	}
	c, err := matrix.New(ctx, l.opts)
	if err != nil {
		return nil, fmt.Errorf("connect to the Matrix homeserver: %w", err)
	}
	l.client = c
	return c, nil
}

// Send implements bot.Notifier; a failed login is a transient error, so the
// dispatcher keeps the alert and retries with backoff.
func (l *lazyMatrix) Send(ctx context.Context, msg bot.Outgoing) (string, error) {
	c, err := l.get(ctx)
	if err != nil {
		return "", err
	}
	return c.Send(ctx, msg)
}

// Listen logs in, retrying with capped backoff, then runs the sync loop.
func (l *lazyMatrix) Listen(ctx context.Context, h matrix.Handler) error {
	wait := 5 * time.Second
	for {
		c, err := l.get(ctx)
		if err == nil {
			return c.Listen(ctx, h)
		}
		l.log.Warn("matrix login failed; retrying", "error", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Minute)
	}
}

// Problems reports what the Matrix client found, or that it is not connected.
func (l *lazyMatrix) Problems() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client == nil {
		return nil
	}
	return l.client.Problems()
}
