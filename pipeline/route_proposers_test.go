package pipeline

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/config"
	"github.com/ituwatch/ituwatch/model"
)

// A route with proposers takes only documents those proposers submitted;
// the other routes take every item as before.
func TestRouteWithProposers(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	in := NewIngester(Options{
		Store:   st,
		Matcher: keywordMatcher{"IPv6": "ipv6-addressing"},
		Routes: routeTable(t, `
routes:
  - {topics: ["*"], to: ["slack:#all"]}
  - {topics: ["*"], proposers: ["Russia", "RCC"], to: ["slack:#rcc"]}
  - {topics: ["ipv6-*"], proposers: ["Arab Group"], to: ["slack:#arab", "slack:#all"]}
slack: {bot_token: "${T}"}
`),
		Logger: slog.New(slog.DiscardHandler),
	})
	doc := func(n string, proposers ...string) *model.DocumentRef {
		return &model.DocumentRef{Number: n, Proposers: proposers}
	}
	if err := in.Ingest(ctx, "pp", []model.Item{
		{ID: "rcc", Title: "IPv6 address blocks", Document: doc("PP-26/45", "Russian Federation", "RCC")},
		{ID: "arab", Title: "IPv6 country blocks", Document: doc("PP-26/46", "Arab States")},
		{ID: "cept", Title: "IPv6 and the RIRs", Document: doc("PP-26/47", "CEPT")},
		{ID: "news", Title: "Russia backs IPv6 blocks at the RCC"},
	}); err != nil {
		t.Fatal(err)
	}
	got := pendingByDest(t, st)
	want := map[string][]string{
		"slack:#all":  {"rcc", "arab", "cept", "news"},
		"slack:#rcc":  {"rcc"},
		"slack:#arab": {"arab"},
	}
	for dest, w := range want {
		if !equalStrings(got[dest], w) {
			t.Errorf("alerts to %s = %v, want %v", dest, got[dest], w)
		}
	}
}

func TestRouteProposersChecked(t *testing.T) {
	env := func(string) (string, bool) { return "x", true }
	_, err := config.Parse("test.yaml", []byte("routes:\n  - {topics: [\"*\"], proposers: [\"Rusia\"], to: [console]}\n"), env)
	if err == nil || !strings.Contains(err.Error(), `routes[0].proposers[0]: "Rusia" is not a proposer ituwatch knows (did you mean "Russia", that is "Russian Federation"?)`) {
		t.Errorf("a mistyped proposer: %v", err)
	}
	c, err := config.Parse("test.yaml", []byte("routes:\n  - {topics: [\"*\"], proposers: [russia, \"Arab Group\", \"Huawei Technologies Co., Ltd.\"], to: [console]}\n"), env)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Russian Federation", "Arab States", "Huawei Technologies Co., Ltd."}; !reflect.DeepEqual(c.Routes[0].Proposers, want) {
		t.Errorf("route proposers = %q, want %q", c.Routes[0].Proposers, want)
	}
}
