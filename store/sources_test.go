package store

import (
	"context"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

// A source's warning survives a restart and is cleared by the next save
// without one.
func TestSourceStateWarning(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		warned := model.SourceState{SourceID: "fg-nf", LastPoll: t0, LastSuccess: t0, PageText: "x",
			Warning: "the watched part of the page is mostly links (74% of its text), as a menu is"}
		if err := s.SaveSourceState(ctx, warned); err != nil {
			t.Fatal(err)
		}
		if got, err := s.SourceState(ctx, "fg-nf"); err != nil || got.Warning != warned.Warning {
			t.Errorf("SourceState warning = %q, %v; want %q", got.Warning, err, warned.Warning)
		}
		all, err := s.SourceStates(ctx)
		if err != nil || len(all) != 1 || all[0].Warning != warned.Warning {
			t.Errorf("SourceStates = %+v, %v", all, err)
		}
		warned.Warning = ""
		if err := s.SaveSourceState(ctx, warned); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.SourceState(ctx, "fg-nf"); got.Warning != "" {
			t.Errorf("warning after clearing = %q", got.Warning)
		}
	})
}
