package web

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// fakeStore holds alerts, documents and source states in memory and
// answers as *store.Store does (store/web_test.go tests the real reads).
type fakeStore struct {
	mu     sync.Mutex
	alerts []model.Alert // in id order
	claims map[int64]model.AlertClaim
	notes  map[int64][]model.AlertNote
	hits   []model.SearchHit
	cov    model.SearchCoverage
	states []model.SourceState
	docs   []model.DocumentItem
	// reads counts AlertTopics calls, to show the timeline's cache at work.
	reads int
	err   error
}

func (f *fakeStore) add(a model.Alert) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	a.ID = int64(len(f.alerts) + 1)
	f.alerts = append(f.alerts, a)
	return a.ID
}

func (f *fakeStore) Alert(_ context.Context, id int64) (model.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return model.Alert{}, f.err
	}
	if id < 1 || id > int64(len(f.alerts)) {
		return model.Alert{}, fmt.Errorf("alert %d: %w", id, model.ErrNotFound)
	}
	return f.alerts[id-1], nil
}

func (f *fakeStore) AlertUpdates(_ context.Context, id int64, limit int) ([]model.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []model.Alert
	for _, a := range f.alerts {
		if a.ParentID == id && len(out) < limit {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f *fakeStore) AlertClaim(_ context.Context, id int64) (model.AlertClaim, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.claims[id]
	return c, ok, nil
}

func (f *fakeStore) Notes(_ context.Context, id int64, limit int) ([]model.AlertNote, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.notes[id]
	return n[:min(len(n), limit)], nil
}

func (f *fakeStore) NewestAlertID(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	return int64(len(f.alerts)), nil
}

func (f *fakeStore) AlertTopics(_ context.Context, after int64, since time.Time, limit int) ([]model.AlertTopic, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	var out []model.AlertTopic
	for _, a := range f.alerts {
		if a.ID <= after || a.CreatedAt.Before(since) {
			continue
		}
		for _, m := range a.Matches {
			if len(out) == limit {
				return out, nil
			}
			out = append(out, model.AlertTopic{AlertID: a.ID, Topic: m.Topic, At: a.CreatedAt})
		}
	}
	return out, nil
}

func (f *fakeStore) PeriodAlerts(_ context.Context, topic string, from, to time.Time, before int64, limit int) ([]model.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []model.Alert
	for i := len(f.alerts) - 1; i >= 0 && len(out) < limit; i-- {
		a := f.alerts[i]
		if before > 0 && a.ID >= before || a.CreatedAt.Before(from) || !a.CreatedAt.Before(to) {
			continue
		}
		if topic == "" || slices.ContainsFunc(a.Matches, func(m model.Match) bool { return m.Topic == topic }) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f *fakeStore) SearchCovered(_ context.Context, q string, limit int) ([]model.SearchHit, model.SearchCoverage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[:min(len(f.hits), limit)], f.cov, nil
}

func (f *fakeStore) SourceStates(context.Context) ([]model.SourceState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.states, nil
}

func (f *fakeStore) NewestDocuments(_ context.Context, limit int) ([]model.DocumentItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.docs[:min(len(f.docs), limit)], nil
}

func (f *fakeStore) DocumentsSince(_ context.Context, seen time.Time, row int64, limit int) ([]model.DocumentItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []model.DocumentItem
	for _, d := range f.docs {
		if (d.LastSeen.After(seen) || d.LastSeen.Equal(seen) && d.RowID > row) && len(out) < limit {
			out = append(out, d)
		}
	}
	return out, nil
}
