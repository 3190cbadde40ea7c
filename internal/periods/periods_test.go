package periods

import (
	"strings"
	"testing"
	"time"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ spec, tz, want string }{
		{"daily", "Europe/Genva", "unknown time zone \"Europe/Genva\"; write an IANA name"},
		{"daily", "Europe/Geneva", "write Europe/Zurich, which is the zone of Geneva"},
		{"daily", "Local", "unknown time zone"},
		{"", "", "no digest schedule given"},
		{"@every 1h", "", "would not come at fixed times"},
		{"CRON_TZ=Europe/Paris 0 9 * * *", "", "timezone setting"},
		{"9am", "", "is not a schedule ituwatch understands"},
	} {
		_, err := Parse(tc.spec, tc.tz)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q, %q) = %v, want an error containing %q", tc.spec, tc.tz, err, tc.want)
		}
	}
}

func TestLatest(t *testing.T) {
	geneva, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, geneva)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name, spec string
		after, now time.Time
		want       time.Time
	}{
		{"daily, never closed", "daily", time.Time{}, at("2026-12-07 10:00"), at("2026-12-07 09:00")},
		{"daily, before nine", "daily", time.Time{}, at("2026-12-07 08:59"), at("2026-12-06 09:00")},
		{"daily, closed today", "daily", at("2026-12-07 09:00"), at("2026-12-07 18:00"), time.Time{}},
		{"daily, three days down", "daily", at("2026-12-04 09:00"), at("2026-12-07 12:00"), at("2026-12-07 09:00")},
		{"weekly is monday", "weekly", time.Time{}, at("2026-12-09 12:00"), at("2026-12-07 09:00")},
		{"every minute", "* * * * *", at("2026-12-07 09:00"), at("2026-12-07 09:03"), at("2026-12-07 09:03")},
		{"monthly", "0 9 1 * *", time.Time{}, at("2026-12-20 12:00"), at("2026-12-01 09:00")},
		{"seconds", "*/5 * * * * *", at("2026-12-07 09:00"), at("2026-12-07 09:00").Add(12 * time.Second), at("2026-12-07 09:00").Add(10 * time.Second)},
	} {
		s, err := Parse(tc.spec, "Europe/Zurich")
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Latest(tc.after, tc.now); !got.Equal(tc.want) {
			t.Errorf("%s: Latest = %v, want %v", tc.name, got, tc.want)
		}
	}
}
