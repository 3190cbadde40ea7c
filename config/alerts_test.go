package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestAlertLimit(t *testing.T) {
	const src = `alerts:
  max_per_poll: 15
sources:
  - {id: busy, type: rss, url: "https://busy.example/rss", max_alerts_per_poll: 50}
  - {id: calm, type: rss, url: "https://calm.example/rss"}
`
	c := mustParse(t, src, nil)
	for id, want := range map[string]int{"busy": 50, "calm": 15, "not-configured": 15} {
		if got := c.AlertLimit(id); got != want {
			t.Errorf("AlertLimit(%q) = %d, want %d", id, got, want)
		}
	}
	if got := Default().AlertLimit("any"); got != DefaultMaxAlertsPerPoll || DefaultMaxAlertsPerPoll != 20 {
		t.Errorf("the default limit is %d (constant %d), want 20", got, DefaultMaxAlertsPerPoll)
	}
	// check-config --print shows the effective values.
	out := c.Redacted()
	for _, want := range []string{"alerts:\n  max_per_poll: 15\n", "max_alerts_per_poll: 50"} {
		if !strings.Contains(out, want) {
			t.Errorf("Redacted() lacks %q:\n%s", want, out)
		}
	}
	if again := mustParse(t, out, nil); !reflect.DeepEqual(again.Alerts, c.Alerts) || again.AlertLimit("busy") != 50 {
		t.Errorf("the printed config reads back as %+v / %d", again.Alerts, again.AlertLimit("busy"))
	}
	if out := Default().Redacted(); !strings.Contains(out, "max_per_poll: 20") {
		t.Errorf("the default config does not print its limit:\n%s", out)
	}
}

func TestAlertLimitProblems(t *testing.T) {
	const feed = "sources:\n  - {id: a, type: rss, url: \"https://a.example/rss\", max_alerts_per_poll: %s}\n"
	for _, tt := range []struct{ src, want string }{
		{"alerts:\n  max_per_poll: 0\n",
			`test.yaml:2: alerts.max_per_poll: 0 is out of range; use 1 to 1000 (the default is 20): how many alerts one poll of a source may post to each channel, the rest being stored and summed up in one message`},
		{"alerts:\n  max_per_poll: 5000\n",
			`test.yaml:2: alerts.max_per_poll: 5000 is out of range; use 1 to 1000 (the default is 20): how many alerts one poll of a source may post to each channel, the rest being stored and summed up in one message`},
		{"alerts:\n  max_per_poll: lots\n",
			`test.yaml:2: alerts.max_per_poll: "lots" is not a whole number; write digits only, e.g. 5`},
		{"alerts:\n  max_per_pol: 10\n",
			`test.yaml:2: alerts: unknown key "max_per_pol"; did you mean "max_per_poll"?`},
		{strings.Replace(feed, "%s", "-1", 1),
			`test.yaml:2: sources[0].max_alerts_per_poll: -1 is out of range; use 1 to 1000, or leave it out to use alerts.max_per_poll (20)`},
		{strings.Replace(feed, "%s", "0", 1),
			`test.yaml:2: sources[0].max_alerts_per_poll: 0 is out of range; use 1 to 1000, or leave it out to use alerts.max_per_poll (20)`},
	} {
		_, err := Parse("test.yaml", []byte(tt.src), env(nil))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q):\n got %v\nwant %s", tt.src, err, tt.want)
		}
	}
}
