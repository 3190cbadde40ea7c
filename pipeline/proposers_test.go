package pipeline

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// A proposer follow compares canonical names: an alias follows the name,
// a country does not follow a company named after it, and a sector member
// is followed by its words.
func TestFollowOfProposerMatchesCanonicalNames(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	in := NewIngester(Options{
		Store:   st,
		Matcher: keywordMatcher{"nothing matches this": "x"},
		Routes:  fixedRoutes{},
		Logger:  slog.New(slog.DiscardHandler),
		Now:     func() time.Time { return now },
	})
	for _, f := range []model.Follow{
		{Destination: "slack:@alice", Kind: model.FollowProposer, Value: "RCC"},
		{Destination: "slack:@bob", Kind: model.FollowProposer, Value: "Russia"},
		{Destination: "slack:@carol", Kind: model.FollowProposer, Value: "China"},
		{Destination: "slack:@dave", Kind: model.FollowProposer, Value: "Huawei"},
	} {
		if _, err := st.AddFollow(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	doc := func(n string, proposers ...string) *model.DocumentRef {
		return &model.DocumentRef{Number: n, Proposers: proposers}
	}
	if err := in.Ingest(ctx, "pp", []model.Item{
		{ID: "rcc", Title: "Proposals for the work of the Conference", Document: doc("PP-26/45", "Russian Federation", "RCC")},
		// Stored before proposers were read: only the listing's words.
		{ID: "old", Title: "Draft revision", Document: &model.DocumentRef{Number: "PP-26/46", Submitter: "Member States of the Regional Commonwealth in the field of Communications"}},
		{ID: "cmcc", Title: "Network 2030", Document: doc("PP-26/47", "China Mobile")},
		{ID: "china", Title: "IPv6 address blocks", Document: doc("PP-26/48", "China (People's Republic of)")},
		{ID: "huawei", Title: "Future networks", Document: doc("PP-26/49", "Huawei Technologies Co., Ltd. (China)")},
		{ID: "news", Title: "Russia and China at the RCC meeting"},
	}); err != nil {
		t.Fatal(err)
	}
	got := pendingByDest(t, st)
	for dest, want := range map[string][]string{
		"slack:@alice": {"rcc", "old"},
		"slack:@bob":   {"rcc"},
		"slack:@carol": {"china"},
		"slack:@dave":  {"huawei"},
	} {
		if !equalStrings(got[dest], want) {
			t.Errorf("DMs to %s = %v, want %v", dest, got[dest], want)
		}
	}
}
