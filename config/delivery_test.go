package config

import (
	"strings"
	"testing"
	"time"
)

func TestDeliveryHoldFor(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    time.Duration
		problem string
	}{
		{"default", "", DefaultHoldFor, ""},
		{"days", "delivery:\n  hold_for: 14d\n", 14 * 24 * time.Hour, ""},
		{"hours", "delivery: {hold_for: 36h}\n", 36 * time.Hour, ""},
		{"too short", "delivery:\n  hold_for: 30m\n", 0, "test.yaml:2: delivery.hold_for: 30m0s is out of range; use between 1h and 365d (the default is 7d)"},
		{"too long", "delivery:\n  hold_for: 400d\n", 0, "test.yaml:2: delivery.hold_for: 9600h0m0s is out of range"},
		{"not a duration", "delivery:\n  hold_for: a week\n", 0, `test.yaml:2: delivery.hold_for: "a week" is not a duration; write a number of days or hours, e.g. 7d or 36h`},
		{"unknown key", "delivery:\n  hold: 7d\n", 0, `test.yaml:2: delivery: unknown key "hold"; did you mean "hold_for"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "sources:\n  - {id: a, type: rss, url: \"https://example.org/feed\"}\n"
			if tt.src != "" {
				src = tt.src + src
			}
			c, err := Parse("test.yaml", []byte(src), nil)
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("Parse error %v, want one containing %q", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Delivery.HoldFor != tt.want {
				t.Errorf("hold_for = %v, want %v", c.Delivery.HoldFor, tt.want)
			}
		})
	}
}
