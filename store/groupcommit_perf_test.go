package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

// TestGroupCommitIsolatesAFailingSave saves many items at once, as a poll of
// many feeds does, with some saves that must fail (an update of an alert
// that does not exist): each failing caller gets its error and none of its
// rows, every other item and alert is stored.
func TestGroupCommitIsolatesAFailingSave(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	const n = 200
	errs := make([]error, n)
	ids := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			it := model.Item{SourceID: "src", ID: fmt.Sprint("item-", i), Title: fmt.Sprint("Title ", i)}
			a := alertFor(it, "new-ip")
			if i%25 == 7 {
				a.Kind, a.ParentID = model.AlertUpdate, 999_999 // no such alert
			}
			ids[i], errs[i] = s.SaveItem(ctx, Save{Item: it, Fingerprint: fmt.Sprint(i), Alert: a, Destinations: []string{"console"}})
		}()
	}
	wg.Wait()
	for i := range n {
		_, err := s.Alert(ctx, ids[i])
		switch {
		case i%25 == 7:
			if errs[i] == nil {
				t.Errorf("item %d: update of a missing alert saved without error", i)
			}
			var found int
			if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE item_id = ?`, fmt.Sprint("item-", i)).Scan(&found); err != nil {
				t.Fatal(err)
			}
			if found != 0 {
				t.Errorf("item %d: failed save left its item row behind", i)
			}
		case errs[i] != nil:
			t.Errorf("item %d: %v", i, errs[i])
		case err != nil:
			t.Errorf("item %d: alert %d not readable: %v", i, ids[i], err)
		}
	}
}

// TestGroupCommitAfterClose refuses work once the store is closed.
func TestGroupCommitAfterClose(t *testing.T) {
	s, _ := openTest(t)
	s.Close()
	err := s.writeTx(context.Background(), func(*sql.Tx) error { return nil })
	if !errors.Is(err, errClosed) {
		t.Fatalf("write after close: %v, want errClosed", err)
	}
}
