package chat

import (
	"context"
	"fmt"
	"strings"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/internal/periods"
	"github.com/ituwatch/ituwatch/model"
)

// The digest command: a channel's alerts in one message a day or a week.

// DigestSettings is what the digest command changes; *store.Store
// satisfies it. The router finds it on its Queries.
type DigestSettings interface {
	SetChannelDigest(ctx context.Context, cd model.ChannelDigest) error
	RemoveChannelDigest(ctx context.Context, destination string) (bool, error)
}

// Digests previews and describes destinations' digests; the daemon's
// digest.Closer is one.
type Digests interface {
	Preview(ctx context.Context, destination string) ([]model.Alert, error)
	PlanFor(ctx context.Context, destination string) (model.DigestPlan, bool, error)
}

// maxPreviewLines bounds digest now; the footer says how many more.
const maxPreviewLines = 20

func (r *Router) digestCmd(ctx context.Context, req Request, args []string) Reply {
	dest, ok := destination(req)
	if !ok {
		return noChannel()
	}
	if len(args) == 0 {
		return r.digestShow(ctx, req, dest)
	}
	switch strings.ToLower(args[0]) {
	case "now":
		if len(args) > 1 {
			return usageError("digest now takes nothing after it.", "digest now")
		}
		return r.digestNow(ctx, req, dest)
	case "off":
		if !req.CanAdmin {
			return notAdmin()
		}
		return r.digestOff(ctx, req, dest)
	case periods.Daily, periods.Weekly:
		if !req.CanAdmin {
			return notAdmin()
		}
		return r.digestOn(ctx, req, dest, strings.ToLower(args[0]), args[1:])
	}
	return usageError(fmt.Sprintf("digest takes daily, weekly, off or now, not %q.", render.Cut(args[0], 30)), "digest daily new-ip")
}

func (r *Router) digestSettings() (DigestSettings, bool) {
	s, ok := r.q.(DigestSettings)
	return s, ok && r.digests != nil
}

func (r *Router) digestOn(ctx context.Context, req Request, dest, schedule string, args []string) Reply {
	set, ok := r.digestSettings()
	if !ok {
		return Reply{Title: "Digests are not available here.", Error: true}
	}
	cd := model.ChannelDigest{Destination: dest, Schedule: schedule}
	for _, a := range args {
		if strings.Contains(a, "/") || strings.EqualFold(a, "UTC") {
			if _, err := periods.LoadTimezone(a); err != nil {
				return usageError(render.Clip(err.Error(), maxErrorRunes), "digest daily Europe/Zurich")
			}
			cd.Timezone = a
			continue
		}
		topic, reply, ok := r.topicArg(a, true)
		if !ok {
			return reply
		}
		if topic == "" || topic == "*" {
			cd.Topics = nil
			continue
		}
		cd.Topics = append(cd.Topics, topic)
	}
	if err := set.SetChannelDigest(ctx, cd); err != nil {
		return r.failed(ctx, "digest", err)
	}
	r.log.Info("digest set", "channel", dest, "schedule", schedule, "timezone", cd.Timezone, "topics", strings.Join(cd.Topics, ","), "user", req.User)
	return Reply{
		Title:  fmt.Sprintf("%s now gets %s instead of each alert as it comes.", thisChannel(req), describeDigest(cd)),
		Footer: "digest now shows what it holds so far; digest off goes back to each alert as it comes",
	}
}

// describeDigest is "a daily digest at 09:00 (UTC) of alerts on new-ip".
func describeDigest(cd model.ChannelDigest) string {
	when := "a daily digest at 09:00"
	switch cd.Schedule {
	case periods.Weekly:
		when = "a weekly digest on Mondays at 09:00"
	case periods.Daily:
	default:
		when = "a digest on the schedule " + render.Clip(cd.Schedule, render.MaxShortRunes)
	}
	zone := cd.Timezone
	if zone == "" {
		zone = "UTC"
	}
	what := "of all its alerts"
	if len(cd.Topics) > 0 {
		what = "of its alerts on " + strings.Join(render.CleanList(cd.Topics, 10), ", ")
	}
	return fmt.Sprintf("%s (%s) %s", when, render.Clip(zone, render.MaxShortRunes), what)
}

func (r *Router) digestOff(ctx context.Context, req Request, dest string) Reply {
	set, ok := r.digestSettings()
	if !ok {
		return Reply{Title: "Digests are not available here.", Error: true}
	}
	removed, err := set.RemoveChannelDigest(ctx, dest)
	if err != nil {
		return r.failed(ctx, "digest", err)
	}
	if !removed {
		reply := Reply{Title: thisChannel(req) + " had no digest set in chat."}
		if _, ok, _ := r.digests.PlanFor(ctx, dest); ok {
			reply.Footer = "its digest comes from a route in the config file; change it there"
		}
		return reply
	}
	r.log.Info("digest off", "channel", dest, "user", req.User)
	return Reply{
		Title:  thisChannel(req) + " gets each alert as it comes again.",
		Footer: "what was put aside for the digest goes out now, as a last digest",
	}
}

func (r *Router) digestShow(ctx context.Context, req Request, dest string) Reply {
	if r.digests == nil {
		return Reply{Title: "Digests are not available here.", Error: true}
	}
	p, ok, err := r.digests.PlanFor(ctx, dest)
	if err != nil {
		return r.failed(ctx, "digest", err)
	}
	if !ok {
		return Reply{Title: thisChannel(req) + " gets each alert as it comes; it has no digest.", Footer: "admins: digest daily [topic…] or digest weekly [topic…]"}
	}
	return Reply{
		Title:  fmt.Sprintf("%s gets %s.", thisChannel(req), describeDigest(model.ChannelDigest{Schedule: p.Schedule, Timezone: p.Timezone})),
		Footer: "digest now shows what it holds so far; admins: digest off",
	}
}

func (r *Router) digestNow(ctx context.Context, req Request, dest string) Reply {
	if r.digests == nil {
		return Reply{Title: "Digests are not available here.", Error: true}
	}
	pages, err := r.digests.Preview(ctx, dest)
	if err != nil {
		return r.failed(ctx, "digest now", err)
	}
	if len(pages) == 0 {
		return Reply{Title: "Nothing is waiting for " + strings.ToLower(thisChannel(req)) + "'s next digest.", Footer: "alerts routed to a digest are listed here until it is sent"}
	}
	first := render.NewDigestView(*pages[0].Digest, "")
	reply := Reply{Title: fmt.Sprintf("So far in the next digest: %s", first.Headline)}
	if first.Period != "" {
		reply.Title += ", " + strings.Replace(first.Period, "until ", "up to ", 1)
	}
	if pages[0].Digest.Start.IsZero() {
		reply.Title = "So far in the next digest: " + first.Headline
	}
	shown, total := 0, 0
	for _, pg := range pages {
		v := render.NewDigestView(*pg.Digest, "")
		for _, t := range v.Topics {
			for _, s := range t.Stories {
				total++
				if shown == maxPreviewLines {
					continue
				}
				shown++
				note := t.Heading
				if i := strings.Index(note, " · "); i > 0 {
					note = note[:i]
				}
				for _, extra := range []string{s.Meta, s.Counts} {
					if extra != "" {
						note += " · " + extra
					}
				}
				reply.Lines = append(reply.Lines, ReplyLine{Text: s.Title, URL: render.Cut(s.URL, render.MaxURLRunes), Note: note})
			}
		}
	}
	reply.Footer = "a preview: nothing was sent"
	if total > shown {
		more := fmt.Sprintf("%d more stories", total-shown)
		if total-shown == 1 {
			more = "1 more story"
		}
		reply.Footer = fmt.Sprintf("and %s in the digest; %s", more, reply.Footer)
	}
	if m := first.Muted; m != "" {
		reply.Footer += " · " + m
	}
	return reply
}
