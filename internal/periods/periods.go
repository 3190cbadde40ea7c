// Package periods knows when a digest's period closes: fixed times of a
// cron spec (or daily, weekly) in an IANA time zone. The config validates
// digest schedules with it and the digest closer runs them, so both read a
// schedule the same way.
package periods

import (
	"fmt"
	"strings"
	"time"
	// The zone database goes into the binary: a digest's time zone must
	// not depend on what the machine (a slim container) has installed.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
)

// Named schedules: a daily digest at 09:00, a weekly one on Monday at 09:00,
// in the digest's time zone.
const (
	Daily  = "daily"
	Weekly = "weekly"
	// DailySpec and WeeklySpec are what the names stand for.
	DailySpec  = "0 9 * * *"
	WeeklySpec = "0 9 * * 1"
)

// specParser takes five-field cron specs, and six with seconds first
// (handy for tests), and @daily-style descriptors.
var specParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule is when a digest closes: fixed times in one time zone.
type Schedule struct {
	spec string
	loc  *time.Location
	cron cron.Schedule
}

// Parse reads daily, weekly or a cron spec, in the IANA time zone
// tz ("" is UTC). Its errors say what to write instead.
func Parse(spec, tz string) (Schedule, error) {
	loc, err := LoadTimezone(tz)
	if err != nil {
		return Schedule{}, err
	}
	s := strings.TrimSpace(spec)
	switch strings.ToLower(s) {
	case Daily:
		s = DailySpec
	case Weekly:
		s = WeeklySpec
	case "":
		return Schedule{}, fmt.Errorf("no digest schedule given; write daily, weekly or a cron spec such as \"0 9 * * 1-5\" (09:00 on weekdays)")
	}
	if strings.HasPrefix(s, "@every") {
		return Schedule{}, fmt.Errorf("%q repeats from whenever ituwatch started, so the digest would not come at fixed times; write daily, weekly or a cron spec such as \"0 9 * * *\"", spec)
	}
	if strings.HasPrefix(strings.ToUpper(s), "CRON_TZ=") || strings.HasPrefix(strings.ToUpper(s), "TZ=") {
		return Schedule{}, fmt.Errorf("%q: give the time zone in the digest's timezone setting, not in the schedule", spec)
	}
	c, err := specParser.Parse(s)
	if err != nil {
		return Schedule{}, fmt.Errorf("%q is not a schedule ituwatch understands (%v); write daily, weekly or a cron spec such as \"0 9 * * 1-5\" (minute hour day-of-month month day-of-week)", spec, err)
	}
	return Schedule{spec: s, loc: loc, cron: c}, nil
}

// LoadTimezone reads an IANA time zone name such as Europe/Geneva; "" is UTC.
func LoadTimezone(tz string) (*time.Location, error) {
	if strings.TrimSpace(tz) == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(strings.TrimSpace(tz))
	if err != nil || strings.EqualFold(tz, "local") {
		if city, ok := zoneOfCity[strings.ToLower(strings.TrimSpace(tz))]; ok {
			return nil, fmt.Errorf("unknown time zone %q: the time zone database names zones after one city each; write %s, which is the zone of %s", tz, city, tz[strings.IndexByte(tz, '/')+1:])
		}
		return nil, fmt.Errorf("unknown time zone %q; write an IANA name such as Europe/Zurich, America/New_York or UTC", tz)
	}
	return loc, nil
}

// zoneOfCity names the zone of cities policy people write as zones but
// the IANA database does not list: Geneva, where the ITU sits, first.
var zoneOfCity = map[string]string{
	"europe/geneva":      "Europe/Zurich",
	"europe/bern":        "Europe/Zurich",
	"europe/the_hague":   "Europe/Amsterdam",
	"america/washington": "America/New_York",
	"america/ottawa":     "America/Toronto",
}

// Next is the first closing time after t.
func (s Schedule) Next(t time.Time) time.Time { return s.cron.Next(t.In(s.loc)) }

// windows are how far back Latest looks for a closing time, shortest
// first, so that a schedule of every minute costs at most an hour of steps
// and a monthly one a few.
var windows = []time.Duration{time.Hour, 25 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour}

// Latest is the last closing time at or before now that is after after;
// zero if there is none (the schedule did not fire since after).
func (s Schedule) Latest(after, now time.Time) time.Time {
	for _, w := range windows {
		from := now.Add(-w)
		if from.Before(after) {
			from = after
		}
		var last time.Time
		for t, n := s.Next(from), 0; !t.IsZero() && !t.After(now) && n < 100_000; t, n = s.Next(t), n+1 {
			last = t
		}
		if !last.IsZero() || !from.After(after) {
			return last
		}
	}
	return time.Time{}
}
