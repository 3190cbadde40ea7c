package config

import (
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

func TestRouteDigest(t *testing.T) {
	c := mustParse(t, `
routes:
  - topics: ["*"]
    to: ["console"]
    digest:
      schedule: daily
      timezone: Europe/Zurich
      below: high
  - topics: [ott]
    to: ["console", "slack:#weekly"]
    digest: weekly
slack:
  bot_token: xoxb-x
`, nil)
	d := c.Routes[0].Digest
	if d == nil || d.Schedule != "daily" || d.Timezone != "Europe/Zurich" || d.Below != model.SeverityHigh {
		t.Fatalf("route digest = %+v", d)
	}
	if d := c.Routes[1].Digest; d == nil || d.Schedule != "weekly" || d.Below != model.SeverityUnknown {
		t.Fatalf("short form digest = %+v", d)
	}
	plans := c.DigestPlans()
	if len(plans) != 2 || plans[0] != (model.DigestPlan{Destination: "console", Schedule: "daily", Timezone: "Europe/Zurich"}) || plans[1].Destination != "slack:#weekly" {
		t.Errorf("plans = %+v; want console daily (the first route naming it), then slack:#weekly", plans)
	}
}

func TestRouteDigestProblems(t *testing.T) {
	for _, tc := range []struct{ name, digest, want string }{
		{"unknown zone", "{schedule: daily, timezone: Europe/Genva}",
			`test.yaml:5: routes[0].digest.timezone: unknown time zone "Europe/Genva"; write an IANA name such as Europe/Zurich, America/New_York or UTC`},
		{"geneva", "{schedule: daily, timezone: Europe/Geneva}",
			`routes[0].digest.timezone: unknown time zone "Europe/Geneva": the time zone database names zones after one city each; write Europe/Zurich, which is the zone of Geneva`},
		{"bad schedule", "{schedule: \"9am\"}",
			`routes[0].digest.schedule: "9am" is not a schedule ituwatch understands`},
		{"no schedule", "{timezone: UTC}",
			`routes[0].digest: no digest schedule given; write daily, weekly or a cron spec`},
		{"bad severity", "{schedule: daily, below: urgent}",
			`routes[0].digest.below: unknown severity "urgent"`},
		{"below at the route's floor", "{schedule: daily, below: medium}",
			`routes[0].digest.below: is medium, but the route takes nothing below medium`},
		{"unknown key", "{schedule: daily, tz: UTC}",
			`unknown key "tz"`},
	} {
		src := "routes:\n  - topics: [\"*\"]\n    min_severity: medium\n    to: [console]\n    digest: " + tc.digest + "\n"
		_, err := Parse("test.yaml", []byte(src), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: problems = %v\nwant one containing %s", tc.name, err, tc.want)
		}
	}
}
