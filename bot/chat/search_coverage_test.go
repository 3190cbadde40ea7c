package chat

import (
	"context"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
)

// partialQueries is a store whose searches ran out of time before the
// oldest items.
type partialQueries struct {
	*fakeQueries
	hits []model.SearchHit
}

func (p partialQueries) SearchCovered(context.Context, string, int) ([]model.SearchHit, model.SearchCoverage, error) {
	return p.hits, model.SearchCoverage{Partial: true, Searched: 17000}, nil
}

// "Nothing found" from a search that did not reach the oldest items must
// not read as "never mentioned"; a short list says so too.
func TestSearchSaysWhenItDidNotReadEverything(t *testing.T) {
	for _, tt := range []struct {
		name string
		hits []model.SearchHit
	}{
		{"nothing found", nil},
		{"some found", []model.SearchHit{{AlertID: 42, Item: bottest.NewIP().Item}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := partialQueries{fakeQueries: newFakeQueries(), hits: tt.hits}
			r := NewRouter(RouterOptions{Queries: q, Topics: testTopics, Now: (&bottest.Clock{T: bottest.T0}).Now, Logger: bottest.QuietLogger()})
			out := RenderPlain(r.Handle(context.Background(), Request{Text: `search "the the"`, Platform: "console"}))
			if !strings.Contains(out, "only the newest 17000 items were searched") {
				t.Errorf("reply does not say the search was partial:\n%s", out)
			}
		})
	}
	// A complete search says nothing of the kind.
	r := NewRouter(RouterOptions{Queries: newFakeQueries(), Topics: testTopics, Now: (&bottest.Clock{T: bottest.T0}).Now, Logger: bottest.QuietLogger()})
	if out := RenderPlain(r.Handle(context.Background(), Request{Text: "search New IP", Platform: "console"})); strings.Contains(out, "were searched") {
		t.Errorf("a complete search says it was partial:\n%s", out)
	}
}
