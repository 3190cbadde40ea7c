package chat

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/rules"
)

// MuteStore is what mute, unmute, mutes and snooze need of the store;
// *store.Store satisfies it. A Queries without it answers that muting is
// not available.
type MuteStore interface {
	AddMute(ctx context.Context, m model.Mute) (model.Mute, error)
	EndMute(ctx context.Context, destination string, kind model.MuteKind, value string) (ended bool, err error)
	Mutes(ctx context.Context, destination string, now time.Time) ([]model.Mute, error)
	Snooze(ctx context.Context, sn model.Snooze) error
}

const (
	defaultMuteFor   = 7 * 24 * time.Hour
	maxMuteFor       = 90 * 24 * time.Hour
	defaultSnoozeFor = 3 * 24 * time.Hour
	maxSnoozeFor     = 30 * 24 * time.Hour
	maxReasonRunes   = 200
)

func (r *Router) muteStore() (MuteStore, bool) {
	ms, ok := r.q.(MuteStore)
	return ms, ok
}

func notAvailable(what string) Reply {
	return Reply{Title: what + " is not available with this store.", Error: true}
}

// muteTarget is what a mute command names, and how it was understood.
type muteTarget struct {
	kind  model.MuteKind
	value string
}

func (t muteTarget) label() string {
	switch t.kind {
	case model.MuteTopic:
		return "topic " + t.value
	case model.MuteSource:
		return "source " + t.value
	}
	return "the words " + strconv.Quote(t.value)
}

// firstArg splits off the first argument: a "quoted phrase" or one word.
func firstArg(text string) (arg, rest string, quoted bool) {
	text = strings.TrimSpace(text)
	for _, q := range [][2]string{{`"`, `"`}, {"“", "”"}, {"'", "'"}} {
		if body, ok := strings.CutPrefix(text, q[0]); ok {
			if i := strings.Index(body, q[1]); i >= 0 {
				return strings.TrimSpace(body[:i]), strings.TrimSpace(body[i+len(q[1]):]), true
			}
		}
	}
	arg, rest, _ = strings.Cut(text, " ")
	return arg, strings.TrimSpace(rest), false
}

// parseMuteTarget reads a topic id, a source id or glob, or words. The
// prefixes topic:, source: and words: say which when a name is both.
func (r *Router) parseMuteTarget(arg string, quoted bool) (muteTarget, error) {
	if !quoted {
		switch {
		case strings.HasPrefix(arg, "topic:"):
			id := strings.TrimPrefix(arg, "topic:")
			t, ok := r.topicByID(id)
			if !ok {
				return muteTarget{}, fmt.Errorf("there is no topic %q; topics lists them", render.Cut(id, 30))
			}
			return muteTarget{kind: model.MuteTopic, value: t.ID}, nil
		case strings.HasPrefix(arg, "source:"):
			return r.sourceTarget(strings.TrimPrefix(arg, "source:"))
		case strings.HasPrefix(arg, "words:"):
			arg = strings.TrimPrefix(arg, "words:")
		default:
			if t, ok := r.topicByID(arg); ok {
				return muteTarget{kind: model.MuteTopic, value: t.ID}, nil
			}
			if strings.ContainsAny(arg, "*?[") || r.sourceByID(arg) {
				return r.sourceTarget(arg)
			}
		}
	}
	if err := rules.CheckPhrase(arg); err != nil {
		return muteTarget{}, err
	}
	return muteTarget{kind: model.MutePhrase, value: strings.ToLower(arg)}, nil
}

func (r *Router) sourceByID(id string) bool {
	for _, s := range r.sources {
		if s.ID == id {
			return true
		}
	}
	return false
}

func (r *Router) sourceTarget(glob string) (muteTarget, error) {
	if _, err := path.Match(glob, ""); err != nil || glob == "" {
		return muteTarget{}, fmt.Errorf("%q is not a source id or pattern; sources lists them, and * stands for any characters, e.g. source:itu-*", render.Cut(glob, 30))
	}
	for _, s := range r.sources {
		if ok, _ := path.Match(glob, s.ID); ok {
			return muteTarget{kind: model.MuteSource, value: glob}, nil
		}
	}
	if len(r.sources) == 0 {
		return muteTarget{kind: model.MuteSource, value: glob}, nil
	}
	return muteTarget{}, fmt.Errorf("no source matches %q; sources lists them", render.Cut(glob, 30))
}

var durationArg = regexp.MustCompile(`^(\d{1,4})\s*(m|min|h|d|w)$`)

// parseFor reads "for 7d" at the start of text: 30m, 12h, 7d, 2w.
func parseFor(text string, def, max time.Duration) (d time.Duration, rest string, err error) {
	word, after, _ := strings.Cut(strings.TrimSpace(text), " ")
	if !strings.EqualFold(word, "for") {
		return def, strings.TrimSpace(text), nil
	}
	amount, after, _ := strings.Cut(strings.TrimSpace(after), " ")
	m := durationArg.FindStringSubmatch(strings.ToLower(amount))
	if m == nil {
		return 0, "", fmt.Errorf("%q is not a length of time; write e.g. 12h, 7d or 2w", render.Cut(amount, 20))
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"m": time.Minute, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	d = time.Duration(n) * unit
	if d <= 0 || d > max {
		return 0, "", fmt.Errorf("%s is too long or too short; the longest is %d days", amount, int(max/(24*time.Hour)))
	}
	return d, strings.TrimSpace(after), nil
}

func untilText(t time.Time) string {
	return t.UTC().Format("Mon 2 Jan 15:04 UTC")
}

func (r *Router) mute(ctx context.Context, req Request, args []string) Reply {
	ms, ok := r.muteStore()
	if !ok {
		return notAvailable("Muting")
	}
	if !req.CanAdmin {
		return notAdmin()
	}
	if len(args) == 0 {
		return usageError("mute needs a topic, a source or words to mute.", `mute new-ip for 7d too noisy this week`)
	}
	dest, ok := destination(req)
	if !ok {
		return noChannel()
	}
	arg, rest, quoted := firstArg(strings.Join(args, " "))
	target, err := r.parseMuteTarget(arg, quoted)
	if err != nil {
		return usageError("I can't mute that: "+err.Error()+".", `mute new-ip for 7d, mute source:itu-* for 2w, mute "digital sovereignty"`)
	}
	d, reason, err := parseFor(rest, defaultMuteFor, maxMuteFor)
	if err != nil {
		return usageError("I can't mute for that long: "+err.Error()+".", "mute "+arg+" for 7d")
	}
	m, err := ms.AddMute(ctx, model.Mute{Destination: dest, Kind: target.kind, Value: target.value,
		Reason: render.Clip(reason, maxReasonRunes), CreatedBy: req.User, ExpiresAt: r.now().Add(d)})
	if err != nil {
		return r.failed(ctx, "mute", err)
	}
	r.log.Info("muted", "channel", dest, "kind", target.kind, "user", req.User, "until", m.ExpiresAt)
	return Reply{
		Title: fmt.Sprintf("%s won't be sent alerts on %s until %s.", thisChannel(req), target.label(), untilText(m.ExpiresAt)),
		Lines: []ReplyLine{{Text: "They are still stored: search, recent and explain find them, and digests count them.",
			Note: "the channel is told here when the mute ends"}},
		Footer: "unmute " + muteArg(target) + " ends it now · mutes lists this channel's mutes",
	}
}

// muteArg is how to name a target again in a command.
func muteArg(t muteTarget) string {
	switch t.kind {
	case model.MuteTopic:
		return t.value
	case model.MuteSource:
		return "source:" + t.value
	}
	if strings.Contains(t.value, " ") {
		return strconv.Quote(t.value)
	}
	return "words:" + t.value
}

func (r *Router) unmute(ctx context.Context, req Request, args []string) Reply {
	ms, ok := r.muteStore()
	if !ok {
		return notAvailable("Muting")
	}
	if !req.CanAdmin {
		return notAdmin()
	}
	if len(args) == 0 {
		return usageError("unmute needs what was muted; mutes lists it.", "unmute new-ip")
	}
	dest, ok := destination(req)
	if !ok {
		return noChannel()
	}
	arg, _, quoted := firstArg(strings.Join(args, " "))
	target, err := r.parseMuteTarget(arg, quoted)
	if err != nil {
		return usageError("I can't tell what to unmute: "+err.Error()+".", "mutes")
	}
	ended, err := ms.EndMute(ctx, dest, target.kind, target.value)
	if err != nil {
		return r.failed(ctx, "unmute", err)
	}
	if !ended {
		return Reply{Title: fmt.Sprintf("%s has no mute of %s.", thisChannel(req), target.label()), Footer: "mutes lists this channel's mutes"}
	}
	r.log.Info("unmuted", "channel", dest, "kind", target.kind, "user", req.User)
	return Reply{Title: fmt.Sprintf("%s gets alerts on %s again.", thisChannel(req), target.label())}
}

func (r *Router) mutesCmd(ctx context.Context, req Request, _ []string) Reply {
	ms, ok := r.muteStore()
	if !ok {
		return notAvailable("Muting")
	}
	dest, ok := destination(req)
	if !ok {
		return noChannel()
	}
	mutes, err := ms.Mutes(ctx, dest, r.now())
	if err != nil {
		return r.failed(ctx, "mutes", err)
	}
	if len(mutes) == 0 {
		return Reply{Title: thisChannel(req) + " has nothing muted.", Footer: "admins can mute <topic|source:pattern|words> [for 7d] [reason]"}
	}
	reply := Reply{Title: thisChannel(req) + " has muted:"}
	for _, m := range mutes {
		t := muteTarget{kind: m.Kind, value: m.Value}
		note := "until " + untilText(m.ExpiresAt)
		if m.ExpiresAt.IsZero() {
			note = "until unmuted"
		}
		if m.Reason != "" {
			note += " · " + render.Clip(m.Reason, 80)
		}
		reply.Lines = append(reply.Lines, ReplyLine{Text: render.Clip(t.label(), render.MaxShortRunes*2), Note: note})
	}
	reply.Footer = "unmute <what> ends a mute now"
	return reply
}

func (r *Router) snooze(ctx context.Context, req Request, args []string) Reply {
	ms, ok := r.muteStore()
	if !ok {
		return notAvailable("Snoozing")
	}
	if len(args) == 0 {
		return usageError("snooze needs an alert number.", "snooze 42 for 3d")
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
	if err != nil || id <= 0 {
		return usageError(fmt.Sprintf("%q is not an alert number; alert numbers look like 42 or #42.", render.Cut(args[0], 30)), "snooze 42 for 3d")
	}
	dest, ok := destination(req)
	if !ok {
		return noChannel()
	}
	rest := strings.Join(args[1:], " ")
	off := strings.EqualFold(rest, "off")
	d, _, err := parseFor(rest, defaultSnoozeFor, maxSnoozeFor)
	if err != nil && !off {
		return usageError("I can't snooze for that long: "+err.Error()+".", "snooze "+args[0]+" for 3d")
	}
	a, err := r.q.Alert(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		return usageError(fmt.Sprintf("There is no alert #%d.", id), "recent")
	}
	if err != nil {
		return r.failed(ctx, "snooze", err)
	}
	// Updates thread under the first alert of the item: snooze that one.
	root := a.ID
	if a.ParentID != 0 {
		root = a.ParentID
	}
	until := r.now().Add(d)
	if off {
		until = r.now()
	}
	if err := ms.Snooze(ctx, model.Snooze{AlertID: root, Destination: dest, Until: until, CreatedBy: req.User}); err != nil {
		if errors.Is(err, model.ErrNotFound) {
			return usageError(fmt.Sprintf("There is no alert #%d.", root), "recent")
		}
		return r.failed(ctx, "snooze", err)
	}
	r.log.Info("snoozed", "channel", dest, "alert", root, "user", req.User, "until", until)
	if off {
		return Reply{Title: fmt.Sprintf("Alert #%d is no longer snoozed here; if updates were held, one message sums them up shortly.", root)}
	}
	return Reply{
		Title:  fmt.Sprintf("Updates of alert #%d won't be posted here until %s.", root, untilText(until)),
		Lines:  []ReplyLine{{Text: "Then one update says what changed meanwhile."}},
		Footer: fmt.Sprintf("snooze %d off ends it now", root),
	}
}
