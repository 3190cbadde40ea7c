package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/matrix"
	"github.com/ituwatch/ituwatch/bot/notify"
)

// lazyMatrix logs in to the homeserver on first use instead of at start, so
// a homeserver that is down when ituwatch starts delays Matrix deliveries
// (they stay queued and are retried) without stopping the watchers or the
// other platforms.
type lazyMatrix struct {
	opts matrix.Options

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

// Send implements notify.Notifier; a failed login is a transient error, so the
// dispatcher keeps the alert and retries with backoff.
func (l *lazyMatrix) Send(ctx context.Context, msg notify.Outgoing) (string, error) {
	c, err := l.get(ctx)
	if err != nil {
		return "", err
	}
	return c.Send(ctx, msg)
}

// Listen is one session of the Matrix listener: it logs in if need be, then
// runs the sync loop until it fails or ctx ends. The supervisor in
// cmdRun retries it. A token the homeserver no longer accepts is dropped
// when there is a password to log in again with.
func (l *lazyMatrix) Listen(ctx context.Context, h chat.Handler, connected func()) error {
	c, err := l.get(ctx)
	if err != nil {
		return err
	}
	err = c.Listen(ctx, h, connected)
	if err != nil && l.opts.Password != "" && matrix.TokenRejected(err) {
		l.mu.Lock()
		if l.client == c {
			l.client = nil
		}
		l.mu.Unlock()
	}
	return err
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
