package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/internal/words"
	"github.com/ituwatch/ituwatch/model"
)

// The commands on who handles an alert: claim, unclaim, done and notes.
// A claim is a person's own: anyone in the channel may claim or close an
// alert, only the claimer (or an admin) may unclaim it.

// ClaimStore is what the claim commands read and write; *store.Store
// satisfies it. It is separate from Queries so that a store without it
// still serves every other command.
type ClaimStore interface {
	SetClaim(ctx context.Context, c model.AlertClaim) (prev model.AlertClaim, had bool, err error)
	ClearClaim(ctx context.Context, alertID int64, at time.Time) (removed model.AlertClaim, had bool, err error)
	AlertClaim(ctx context.Context, alertID int64) (model.AlertClaim, bool, error)
	AlertClaims(ctx context.Context, alertIDs []int64) (map[int64]model.AlertClaim, error)
	AddNote(ctx context.Context, n model.NoteReply) (alertID int64, added bool, err error)
	Notes(ctx context.Context, alertID int64, limit int) ([]model.AlertNote, error)
	AlertOfMessage(ctx context.Context, platform, externalID string) (int64, error)
}

// AlertMessages is what listeners ask about the alert messages people
// react to or reply under; the Router is one. Listeners find it on their
// Handler with a type assertion, so a Handler without it simply has no
// notes or reactions.
type AlertMessages interface {
	// TakeNote records a reply starting with "note:" in a thread.
	TakeNote(ctx context.Context, n model.NoteReply) (alertID int64, err error)
	// AlertOfMessage is the alert posted on platform as externalID, or 0.
	AlertOfMessage(ctx context.Context, platform, externalID string) (int64, error)
}

// NotePrefix starts a reply in an alert's thread that is kept as a note.
const NotePrefix = "note:"

// NoteText returns the note in a reply, and whether the reply is one.
func NoteText(body string) (string, bool) {
	body = strings.TrimSpace(body)
	if len(body) < len(NotePrefix) || !strings.EqualFold(body[:len(NotePrefix)], NotePrefix) {
		return "", false
	}
	note := strings.TrimSpace(body[len(NotePrefix):])
	return note, note != ""
}

const maxNotesShown = 20

func (r *Router) claims() (ClaimStore, bool) {
	cs, ok := r.q.(ClaimStore)
	return cs, ok
}

func noClaims() Reply {
	return Reply{Title: "This ituwatch cannot record claims (its store is too old); whoever runs it should upgrade.", Error: true}
}

// person is the asker as a claim records them.
func person(req Request) model.Person {
	p := model.Person{Platform: req.Platform, ID: req.User, Name: render.Clip(req.UserName, render.MaxShortRunes)}
	if p.Platform == "console" && p.Name == "" {
		p.Name = "the operator"
	}
	return p
}

// alertArg reads an alert number: 42 or #42.
func alertArg(cmd string, args []string, rest bool) (int64, Reply, bool) {
	example := cmd + " 42"
	if cmd == "done" {
		example = "done 42 answered in the consultation"
	}
	if len(args) == 0 || (!rest && len(args) > 1) {
		return 0, usageError(cmd+" needs one alert number.", example), false
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError(fmt.Sprintf("%q is not an alert number; alert numbers look like 42 or #42.", render.Cut(args[0], 30)), example), false
	}
	return id, Reply{}, true
}

func (r *Router) claim(ctx context.Context, req Request, args []string) Reply {
	return r.setClaim(ctx, req, args, model.Claimed)
}

func (r *Router) done(ctx context.Context, req Request, args []string) Reply {
	return r.setClaim(ctx, req, args, model.Done)
}

func (r *Router) setClaim(ctx context.Context, req Request, args []string, state model.ClaimState) Reply {
	cmd := string(state)
	if state == model.Claimed {
		cmd = "claim"
	}
	id, reply, ok := alertArg(cmd, args, state == model.Done)
	if !ok {
		return reply
	}
	cs, ok := r.claims()
	if !ok {
		return noClaims()
	}
	c := model.AlertClaim{AlertID: id, State: state, By: person(req), At: r.now()}
	if state == model.Done {
		c.Note = render.Clean(strings.Join(args[1:], " "))
	}
	prev, had, err := cs.SetClaim(ctx, c)
	if errors.Is(err, model.ErrNotFound) {
		return usageError(fmt.Sprintf("There is no alert #%d.", id), "recent")
	}
	if err != nil {
		return r.failed(ctx, cmd, err)
	}
	line := render.NewClaimView(&c).Line()
	out := Reply{Title: fmt.Sprintf("Alert #%d: %s.", id, line)}
	if had && (prev.By.Platform != c.By.Platform || prev.By.ID != c.By.ID || prev.State != state) {
		out.Lines = append(out.Lines, ReplyLine{Text: "Before: " + render.NewClaimView(&prev).Line()})
	}
	if state == model.Claimed {
		out.Footer = fmt.Sprintf("done %d [note] once it is handled; unclaim %d to let it go", id, id)
	} else {
		out.Footer = fmt.Sprintf("notes %d shows the team's notes on it", id)
	}
	return out
}

func (r *Router) unclaim(ctx context.Context, req Request, args []string) Reply {
	id, reply, ok := alertArg("unclaim", args, false)
	if !ok {
		return reply
	}
	cs, ok := r.claims()
	if !ok {
		return noClaims()
	}
	cur, had, err := cs.AlertClaim(ctx, id)
	if err != nil {
		return r.failed(ctx, "unclaim", err)
	}
	if !had {
		return Reply{Title: fmt.Sprintf("Nobody has claimed alert #%d.", id), Footer: fmt.Sprintf("claim %d to take it", id)}
	}
	me := person(req)
	if (cur.By.Platform != me.Platform || cur.By.ID != me.ID) && !req.CanAdmin {
		return Reply{
			Title:  fmt.Sprintf("Alert #%d is %s; only they or an admin can unclaim it.", id, render.NewClaimView(&cur).Line()),
			Footer: fmt.Sprintf("claim %d takes it over, if you agreed that with them", id),
			Error:  true,
		}
	}
	if _, _, err := cs.ClearClaim(ctx, id, r.now()); err != nil {
		return r.failed(ctx, "unclaim", err)
	}
	return Reply{Title: fmt.Sprintf("Alert #%d is nobody's now (it was %s).", id, render.NewClaimView(&cur).Line()), Footer: fmt.Sprintf("claim %d to take it", id)}
}

func (r *Router) notes(ctx context.Context, _ Request, args []string) Reply {
	id, reply, ok := alertArg("notes", args, false)
	if !ok {
		return reply
	}
	cs, ok := r.claims()
	if !ok {
		return noClaims()
	}
	if _, err := r.q.Alert(ctx, id); errors.Is(err, model.ErrNotFound) {
		return usageError(fmt.Sprintf("There is no alert #%d.", id), "recent")
	} else if err != nil {
		return r.failed(ctx, "notes", err)
	}
	notes, err := cs.Notes(ctx, id, maxNotesShown+1)
	if err != nil {
		return r.failed(ctx, "notes", err)
	}
	c, had, err := cs.AlertClaim(ctx, id)
	if err != nil {
		return r.failed(ctx, "notes", err)
	}
	out := Reply{Footer: "reply in the alert's thread with note: … to add one"}
	if had {
		out.Lines = append(out.Lines, ReplyLine{Text: capitalize(render.NewClaimView(&c).Line())})
	}
	if len(notes) == 0 {
		out.Title = fmt.Sprintf("No notes on alert #%d yet.", id)
		return out
	}
	more := len(notes) > maxNotesShown
	if more {
		notes = notes[:maxNotesShown]
	}
	out.Title = fmt.Sprintf("%s on alert #%d", words.Plural(len(notes), "note"), id)
	for _, n := range notes {
		out.Lines = append(out.Lines, ReplyLine{
			Text: render.Clip(n.Text, 2000),
			Note: strings.Join(render.CleanList([]string{n.By.Label(), n.At.UTC().Format("2006-01-02 15:04 UTC")}, 2), " · "),
		})
	}
	if more {
		out.Footer = fmt.Sprintf("showing the first %d · ", maxNotesShown) + out.Footer
	}
	return out
}

// TakeNote stores a "note:" reply if its thread is an alert's; alertID is 0
// when it is not (a note in any other thread is just a message).
func (r *Router) TakeNote(ctx context.Context, n model.NoteReply) (int64, error) {
	cs, ok := r.claims()
	if !ok {
		return 0, nil
	}
	if n.At.IsZero() {
		n.At = r.now()
	}
	n.By.Name = render.Clip(n.By.Name, render.MaxShortRunes)
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	id, _, err := cs.AddNote(ctx, n)
	return id, err
}

// AlertOfMessage is the alert posted on platform as externalID (Slack ts,
// Matrix event id), or 0 when the message is not an alert.
func (r *Router) AlertOfMessage(ctx context.Context, platform, externalID string) (int64, error) {
	cs, ok := r.claims()
	if !ok || externalID == "" {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return cs.AlertOfMessage(ctx, platform, externalID)
}

// claimNotes adds "claimed by …" to the lines of listed alerts.
func (r *Router) claimNotes(ctx context.Context, alerts []model.Alert, lines []ReplyLine) {
	cs, ok := r.claims()
	if !ok || len(alerts) == 0 {
		return
	}
	ids := make([]int64, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	claims, err := cs.AlertClaims(ctx, ids)
	if err != nil {
		r.log.Warn("could not read claims for a list", "error", err)
		return
	}
	for i, a := range alerts {
		if c, ok := claims[a.ID]; ok && i < len(lines) {
			lines[i].Note += " · " + render.NewClaimView(&c).Line()
		}
	}
}

// claimLine is explain's line on who is on the alert.
func (r *Router) claimLine(ctx context.Context, id int64) (ReplyLine, bool) {
	cs, ok := r.claims()
	if !ok {
		return ReplyLine{}, false
	}
	c, had, err := cs.AlertClaim(ctx, id)
	if err != nil {
		r.log.Warn("could not read a claim", "alert", id, "error", err)
		return ReplyLine{}, false
	}
	if !had {
		return ReplyLine{}, false
	}
	return ReplyLine{Text: capitalize(render.NewClaimView(&c).Line()), Note: fmt.Sprintf("notes %d shows the team's notes", id)}, true
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
