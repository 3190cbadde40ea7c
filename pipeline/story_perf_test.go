package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// candidateStore serves fixed story candidates; storyIndex reads nothing else.
type candidateStore struct {
	ItemStore
	cands []model.StoryCandidate
}

func (c candidateStore) StoryCandidates(context.Context, time.Time, int) ([]model.StoryCandidate, error) {
	return c.cands, nil
}

// TestStoryIndexAgreesWithSameStory checks the index that replaced the scan
// of every candidate per item: on random titles and links it finds a story
// exactly when sameStory does, and the same one when only one fits.
func TestStoryIndexAgreesWithSameStory(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vocab := strings.Fields("itu council new ip internet resolution dns names study group plenipotentiary tsag delegates proposal debate members registry")
	title := func() string {
		n := 2 + r.IntN(9)
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[r.IntN(len(vocab))]
		}
		return strings.Join(w, " ")
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for round := range 50 {
		var cands []model.StoryCandidate
		for i := range 40 {
			cands = append(cands, model.StoryCandidate{
				AlertID:     int64(100 - i), // newest first, as the store lists them
				Link:        fmt.Sprintf("https://news.example/%d", r.IntN(60)),
				Title:       title(),
				HasDocument: r.IntN(10) == 0,
				CreatedAt:   now.Add(-time.Duration(i) * time.Hour),
			})
		}
		var x storyIndex
		st := candidateStore{cands: cands}
		for i := range 40 {
			it := &model.Item{Link: fmt.Sprintf("https://www.news.example/%d/", r.IntN(200)), Title: title()}
			if i%2 == 0 {
				it.Title = cands[r.IntN(len(cands))].Title + " " + vocab[r.IntN(len(vocab))]
			}
			wantID, want := sameStory(it, cands)
			e, err := x.find(context.Background(), st, it, now, 72*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			got, gotID := e != nil, int64(0)
			if got {
				gotID = e.alertID
			}
			if got != want {
				t.Fatalf("round %d item %q %s: index says %v, sameStory %v (alert %d)", round, it.Title, it.Link, got, want, wantID)
			}
			// sameStory takes the first fitting candidate, newest first;
			// the index the newest fitting one: the same.
			if got && gotID != wantID {
				t.Fatalf("round %d item %q: index alert %d, sameStory alert %d", round, it.Title, gotID, wantID)
			}
		}
	}
}

// TestConcurrentReportsOfOneStoryAlertOnce polls several sources at the same
// moment, as PollAll does, each carrying the same story: one alert, the
// others joined to it, however the saves interleave.
func TestConcurrentReportsOfOneStoryAlertOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var mu sync.Mutex
	alerts := map[string]int{}
	in := NewIngester(Options{
		Store:   st,
		Matcher: keywordMatcher{"New IP": "new-ip"},
		Routes:  fixedRoutes{"*": {{Platform: "console"}}},
		Logger:  slog.New(slog.DiscardHandler),
		OnAlert: func(a model.Alert, _ []string) {
			mu.Lock()
			alerts[a.Item.Title]++
			mu.Unlock()
		},
	})
	headlines := []string{
		"Member states clash over New IP proposal at TSAG",
		"Council group revisits New IP in closed session",
		"Operators warn regulators about New IP addressing plans",
		"Study Group 13 drafts New IP work item despite objections",
		"Civil society letter urges delegates to reject New IP",
	}
	now := time.Now().UTC()
	var wg sync.WaitGroup
	for src := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var items []model.Item
			for i := range 5 {
				// Half the sources list the stories the other way round: a
				// batch that waits for another's story must not be holding
				// a story the other waits for.
				story := i
				if src%2 == 1 {
					story = 4 - i
				}
				items = append(items, model.Item{
					ID:        fmt.Sprintf("s%d-%d", src, story),
					Title:     headlines[story],
					Link:      fmt.Sprintf("https://outlet%d.example/%d", src, story),
					Published: now,
				})
			}
			if err := in.Ingest(ctx, fmt.Sprint("source-", src), items); err != nil {
				t.Error(err)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("concurrent batches of the same stories deadlocked")
	}
	if len(alerts) != 5 {
		t.Fatalf("5 stories from 8 sources gave alerts for %d stories, want 5: %v", len(alerts), alerts)
	}
	for title, n := range alerts {
		if n != 1 {
			t.Errorf("%q alerted %d times, want once", title, n)
		}
	}
}
