package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// A filter picks among every match the store ranks, not only the first
// page of them: one old item from a quiet source, ranked below 120 newer
// ones from a busy source, is found when the form asks for that source;
// and a filter that keeps most matches still shows one page.
func TestFilteredSearchReachesPastTheFirstPage(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	saves := []model.ItemSave{{Item: model.Item{SourceID: "quiet-desk", ID: "old", Title: "Spectrum auction rules for the 6 GHz band", Link: "https://example.org/old", Published: t0}}}
	for i := range 120 {
		saves = append(saves, model.ItemSave{Item: model.Item{SourceID: "busy-wire", ID: fmt.Sprint(i), Title: fmt.Sprintf("Spectrum auction update %d", i), Link: fmt.Sprintf("https://example.org/%d", i), Published: t0.Add(time.Duration(i+1) * time.Hour)}})
	}
	for i, err := range st.SaveItems(ctx, saves) {
		if err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
	}
	st.AwaitSearchIndex(ctx)
	h, err := NewHandler(Options{Store: st, Listen: "127.0.0.1:8080", Sources: []Source{{ID: "busy-wire"}, {ID: "quiet-desk"}}})
	if err != nil {
		t.Fatal(err)
	}
	page := func(path string) string {
		t.Helper()
		resp := get(t, h, http.MethodGet, path, nil)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, b)
		}
		return string(b)
	}

	quiet := page("/search?q=spectrum&source=quiet-desk")
	if !strings.Contains(quiet, "1 result") || !strings.Contains(quiet, "6 GHz band") {
		t.Errorf("the quiet source's item, ranked 121st, was not found with its source's filter:\n%s", quiet)
	}
	busy := page("/search?q=spectrum&source=busy-wire")
	if !strings.Contains(busy, "50 results") || strings.Contains(busy, "6 GHz band") {
		t.Errorf("a filter keeping 120 matches should show one page of 50, without the other source's item:\n%.2000s", busy)
	}
}
