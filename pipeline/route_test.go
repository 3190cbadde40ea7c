package pipeline

import (
	"reflect"
	"testing"

	"github.com/ituwatch/ituwatch/config"
	"github.com/ituwatch/ituwatch/model"
)

func routeTable(t *testing.T, yaml string) *RouteTable {
	t.Helper()
	env := func(string) (string, bool) { return "xoxb-t", true }
	c, err := config.Parse("test.yaml", []byte(yaml), env)
	if err != nil {
		t.Fatalf("Parse: unexpected problems:\n%v", err)
	}
	return NewRouteTable(c.Routes)
}

func destStrings(ds []model.Destination) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

func TestRouteTableDestinationsFor(t *testing.T) {
	routes := routeTable(t, `
routes:
  - {topics: ["*"], to: [console]}
  - {topics: [new-ip, ipv6-addressing], to: ["slack:#itu-alerts", "matrix:!abc:example.org"]}
  - {topics: ["ipv6-*"], min_severity: high, to: ["slack:#urgent", "slack:#itu-alerts"]}
  - {topics: [ott], min_severity: critical, to: ["slack:#ceo"]}
slack: {bot_token: "${T}"}
matrix: {homeserver: "https://m.example.org", user_id: "@b:example.org", access_token: "${T}"}
`)
	tests := []struct {
		topic string
		sev   model.Severity
		want  []string
	}{
		{"dns-naming", model.SeverityLow, []string{"console"}},
		{"new-ip", model.SeverityLow, []string{"console", "slack:#itu-alerts", "matrix:!abc:example.org"}},
		{"ipv6-addressing", model.SeverityMedium, []string{"console", "slack:#itu-alerts", "matrix:!abc:example.org"}},
		{"ipv6-addressing", model.SeverityHigh, []string{"console", "slack:#itu-alerts", "matrix:!abc:example.org", "slack:#urgent"}},
		{"ott", model.SeverityHigh, []string{"console"}},
		{"ott", model.SeverityCritical, []string{"console", "slack:#ceo"}},
	}
	for _, tt := range tests {
		got := destStrings(routes.DestinationsFor(tt.topic, tt.sev))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DestinationsFor(%s, %s) = %v, want %v", tt.topic, tt.sev, got, tt.want)
		}
	}
	none := routeTable(t, "routes:\n  - {topics: [new-ip], min_severity: medium, to: [console]}\n")
	if got := none.DestinationsFor("new-ip", model.SeverityLow); len(got) != 0 {
		t.Errorf("a low match went to %v past a medium route", got)
	}
}

func TestRouteTableOfDefaultConfig(t *testing.T) {
	routes := NewRouteTable(config.Default().Routes)
	if got := destStrings(routes.DestinationsFor("anything", model.SeverityLow)); !reflect.DeepEqual(got, []string{"console"}) {
		t.Errorf("the default config routes anything to %v, want console", got)
	}
}
