package store

import (
	"context"
	"database/sql"
	"time"
)

// SQLite checkpoints a WAL database in the connection that commits: one
// commit in a few hundred also copies megabytes of pages back into the
// database file, and every write queued behind the writer waits for it (a
// tenth of the writer's time in a poll cycle). The writer's automatic
// checkpoint is therefore set far out, to walAutocheckpointPages, as a
// safety net only; a checkpointer beside it does the copying, with PASSIVE
// checkpoints that never block the writer or the readers.
const (
	walAutocheckpointPages = 16384 // 64 MiB of WAL at 4 KiB pages
	checkpointEvery        = time.Second
)

type checkpointer struct {
	db   *sql.DB
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

func newCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// committed notes that the WAL grew.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.kick:
		case <-c.stop:
			return
		}
		// An error leaves the pages in the WAL for the next checkpoint,
		// or the writer's own, to copy: nothing is lost, as SQLite's
		// automatic checkpoints ignore their errors too.
		_, _ = c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		t := time.NewTimer(checkpointEvery)
		select {
		case <-t.C:
		case <-c.stop:
			t.Stop()
			return
		}
	}
}

func (c *checkpointer) close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}
