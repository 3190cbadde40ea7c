package textdiff

import (
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

func TestFromTracked(t *testing.T) {
	if d := FromTracked(&model.TrackedChanges{Inserted: []string{" ", ""}}); d != nil {
		t.Errorf("blank runs: %+v, want nil", d)
	}
	d := FromTracked(&model.TrackedChanges{
		Inserted: []string{"ITU shall coordinate IPv6 blocks. It reports yearly."},
		Deleted:  []string{"RIRs allocate addresses."},
	})
	if d == nil || !d.Tracked || d.Added != 2 || d.Removed != 1 || len(d.Lines) != 3 || d.Lines[2].Kind != model.DiffRemoved {
		t.Fatalf("diff = %+v, want two sentences added and one removed", d)
	}
	// Runs beyond the input bound are cut, not compared in full, and the
	// deleted runs after a huge insertion do not break the bound.
	huge := strings.Repeat("IPv6 blocks are allocated. ", MaxInputBytes/20)
	d = FromTracked(&model.TrackedChanges{Inserted: []string{huge, "More."}, Deleted: []string{"Gone."}})
	if d == nil || !d.Partial || len(d.Lines) != MaxLines || d.Omitted == 0 {
		t.Fatalf("huge run: partial %v, %d lines, %d omitted; want a partial diff cut to %d lines", d.Partial, len(d.Lines), d.Omitted, MaxLines)
	}
}
