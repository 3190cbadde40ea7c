package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestChurningGUIDAlertsOnce: some sites put a session or a timestamp in
// each item's guid, so the same story comes back under a new guid on every
// poll. The bot must alert it once, not on every poll.
func TestChurningGUIDAlertsOnce(t *testing.T) {
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := polls.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml")
		if r.URL.Path != "/news.rss" {
			fmt.Fprint(w, rss())
			return
		}
		// Same story, same link, same words; only the guid moves.
		fmt.Fprint(w, rss(fmt.Sprintf(`<item><guid isPermaLink="false">urn:session:%d:story-77</guid><title>TSAG debates New IP successor at ITU-T</title><link>http://example.test/story-77?utm_source=rss</link><description>Delegates at the ITU-T advisory group discussed reviving the New IP proposal first tabled at FG-NET2030.</description></item>`, n)))
	}))
	defer srv.Close()
	cfgPath := writeConfig(t, t.TempDir(), srv.URL)

	total := 0
	for poll := 1; poll <= 3; poll++ {
		alerts := runOnce(t, cfgPath)
		total += len(alerts)
		for _, a := range alerts {
			t.Logf("poll %d: alert #%d %s %q", poll, a.ID, a.Kind, a.Title)
		}
	}
	if total != 1 {
		t.Errorf("the same story under a new guid on each of 3 polls alerted %d times, want once", total)
	}
}
