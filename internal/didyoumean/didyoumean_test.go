package didyoumean

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"schedule", "schedule", 0},
		{"shedule", "schedule", 1},  // deletion
		{"scheduel", "schedule", 1}, // swap of neighbours
		{"rsss", "rss", 1},          // insertion
		{"mandate-creap", "mandate-creep", 1},
		{"", "ott", 3},
		{"sécurité", "securite", 2}, // runes, not bytes
		{string(make([]rune, 65)), "x", Far},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

// The candidate lists the callers pass, copied so that the cases below are
// the ones config, rules and bot test (and print in their golden files).
var (
	configRootKeys   = []string{"store", "http", "sources", "rules", "routes", "alerts", "slack", "matrix", "metrics", "delivery"}
	configStoreKeys  = []string{"path", "postgres"}
	configSourceKeys = []string{"id", "name", "type", "url", "schedule", "max_pages", "selector", "max_alerts_per_poll"}
	configAlertKeys  = []string{"max_per_poll"}
	configSlackKeys  = []string{"bot_token", "app_token", "signing_secret", "api_url", "admins"}
	configDelivery   = []string{"hold_for"}
	sourceTypes      = []string{"rss", "atom", "feed", "itu-listing", "page"}
	builtinTopics    = []string{"mandate-creep", "new-ip", "ott", "ipv6-addressing", "dns-naming", "cybersecurity", "surveillance"}
	packKeys         = []string{"pack", "sets", "topics"}
	topicKeys        = []string{"id", "name", "severity", "annotation", "min_score", "sources", "exclude_sources", "match"}
	nodeKeys         = []string{"phrase", "phrases", "set", "regex", "near", "within", "any", "all", "none", "weight", "fields"}
	botTopics        = []string{"new-ip", "mandate-creep", "ott"}
	commands         = []string{"help", "recent", "search", "topics", "sources", "status", "explain", "subscribe", "unsubscribe", "subscriptions"}
)

func TestClosest(t *testing.T) {
	tests := []struct {
		from       string // the test or golden file the case comes from
		word       string
		candidates []string
		want       string
	}{
		// config: TestSuggest (source keys), the golden file, TestCheckTopics,
		// the unknown-section and alerts tests.
		{"config TestSuggest", "shedule", configSourceKeys, "schedule"},
		{"config TestSuggest", "scheduel", configSourceKeys, "schedule"},
		{"config TestSuggest", "Schedule", configSourceKeys, "schedule"},
		{"config TestSuggest", "max-pages", configSourceKeys, "max_pages"},
		{"config TestSuggest", "maxpages", configSourceKeys, "max_pages"},
		{"config TestSuggest", "ulr", configSourceKeys, "url"},
		{"config TestSuggest", "colour", configSourceKeys, ""},
		{"config TestSuggest", "x", configSourceKeys, ""},
		{"config broken.golden", "postgress", configStoreKeys, "postgres"},
		{"config broken.golden", "rs", sourceTypes, "rss"},
		{"config broken.golden", "timeout", configSlackKeys, ""},
		{"config TestCheckTopics", "newip", builtinTopics, "new-ip"},
		{"config TestCheckTopics", "cwg-internet", builtinTopics, ""},
		{"cmd TestCheckConfig", "ipv6-allocation", builtinTopics, ""},
		{"config unknown section", "route", configRootKeys, "routes"},
		{"config alerts", "max_per_pol", configAlertKeys, "max_per_poll"},
		// Was "" (config had no prefix rule): a key cut short is now completed.
		{"config delivery", "hold", configDelivery, "hold_for"},

		// rules: pack_test and broken.golden.
		{"rules pack_test", "topcs", packKeys, "topics"},
		{"rules broken.golden", "extra", packKeys, ""},
		{"rules broken.golden", "phrse", nodeKeys, "phrase"},
		{"rules broken.golden", "serverity", topicKeys, "severity"},

		// bot: TestEditDistanceAndClosest and the router's typo cases.
		{"bot closest", "new-iq", botTopics, "new-ip"},
		{"bot closest", "mandate", botTopics, "mandate-creep"},
		{"bot closest", "otts", botTopics, "ott"},
		{"bot closest", "surveillance", botTopics, ""},
		{"bot closest", "x", botTopics, ""},
		{"bot router", "recnt", commands, "recent"},
		{"bot router", "frobnicate", commands, ""},
		{"bot router", "bogus", botTopics, ""},

		// The rules each caller had and the others now share.
		{"separators fold", "min-score", topicKeys, "min_score"},
		{"separators fold", "mandate_creep", builtinTopics, "mandate-creep"},
		{"separators fold", "max_body-bytes", []string{"max_body_bytes"}, "max_body_bytes"},
		{"case folds", "NEW-IP", builtinTopics, "new-ip"},
		{"long words allow three edits", "max_bdy_byts_", []string{"max_body_bytes"}, "max_body_bytes"},
		{"short words allow two edits", "rcnt", commands, "recent"},
		{"not three", "rcnx", commands, ""},
		{"not every letter changed", "he", commands, ""},
		{"a prefix needs three letters", "su", commands, ""},
		{"a prefix is completed", "unsub", commands, "unsubscribe"},
		{"the shortest completion wins", "sub", commands, "subscribe"},
		{"the shortest completion wins", "phr", nodeKeys, "phrase"},
		{"the nearest wins", "sorces", []string{"sort", "sources"}, "sources"},
		{"ties go to the first", "ab", []string{"ac", "ad"}, "ac"},
		{"no candidates", "schedule", nil, ""},
		{"no word", "", commands, ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.word, tt.candidates); got != tt.want {
			t.Errorf("%s: Closest(%q, %q) = %q, want %q", tt.from, tt.word, tt.candidates, got, tt.want)
		}
	}
}
