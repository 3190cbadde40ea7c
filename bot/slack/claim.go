package slack

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// Claiming an alert from Slack: the buttons under each alert send
// block_actions over Socket Mode, which run the same claim, done and
// unclaim commands as /itu; the store then owes the message an edit, made
// with chat.update (Client.Edit). Replies starting with "note:" in an
// alert's thread are kept as notes as they arrive.

// The action ids of the buttons, and the command each runs.
const (
	actionClaim   = "ituwatch_claim"
	actionDone    = "ituwatch_done"
	actionUnclaim = "ituwatch_unclaim"
	claimBlockID  = "ituwatch_claim"
)

var claimActions = map[string]string{actionClaim: "claim", actionDone: "done", actionUnclaim: "unclaim"}

const nameCacheTTL = time.Hour

type cachedName struct {
	name    string
	expires time.Time
}

// claimBlocks are the last blocks of an alert: who is on it, and the
// buttons that change that. The name is a display name, escaped like feed
// text, never a <@U…> mention: an edit must not ping anyone.
func claimBlocks(v render.AlertView) []slack.Block {
	var blocks []slack.Block
	var buttons []slack.BlockElement
	claim := func() slack.BlockElement {
		return slack.NewButtonBlockElement(actionClaim, strconv.FormatInt(v.ID, 10), slack.NewTextBlockObject(slack.PlainTextType, "I'm on it", true, false))
	}
	done := func() slack.BlockElement {
		return slack.NewButtonBlockElement(actionDone, strconv.FormatInt(v.ID, 10), slack.NewTextBlockObject(slack.PlainTextType, "Done", true, false)).WithStyle(slack.StylePrimary)
	}
	switch {
	case v.Claim == nil:
		buttons = append(buttons, claim(), done())
	case v.Claim.State == model.Claimed:
		m := newMrkdwn(maxContextText)
		m.markup(":eyes: ", 0)
		m.text(v.Claim.Line(), 0)
		blocks = append(blocks, contextLine(m))
		buttons = append(buttons, done(), slack.NewButtonBlockElement(actionUnclaim, strconv.FormatInt(v.ID, 10), slack.NewTextBlockObject(slack.PlainTextType, "Unclaim", true, false)))
	default:
		m := newMrkdwn(maxContextText)
		m.markup(":white_check_mark: ", 0)
		m.text(v.Claim.Line(), 0)
		blocks = append(blocks, contextLine(m))
	}
	if len(buttons) > 0 {
		blocks = append(blocks, slack.NewActionBlock(claimBlockID, buttons...))
	}
	return blocks
}

// Edit shows an alert's claim in its posted message with chat.update. A
// message Slack no longer has, or may no longer change, is a Permanent
// error: the edit is dropped. Everything else is retried by the caller.
func (c *Client) Edit(ctx context.Context, e notify.Edit) error {
	channel, err := c.channelID(ctx, e.Target)
	if err != nil {
		return err
	}
	blocks, text := renderAlert(render.NewAlertView(e.Alert, render.ViewOptions{CommandPrefix: slashCommand + " ", Claim: e.Claim, PermalinkBase: c.permalink}))
	_, _, _, err = c.api.UpdateMessageContext(ctx, channel, e.ExternalID,
		slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionText(text, false),
		slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType:    MetadataEventType,
			EventPayload: map[string]any{"alert_id": e.Alert.ID, "delivery_id": e.DeliveryID},
		}),
	)
	if err == nil {
		return nil
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "message_not_found", "cant_update_message", "edit_window_closed", "is_inactive":
			return notify.Permanent(&reasonError{reason: fmt.Sprintf("the alert message in %s can no longer be edited (deleted, or too old)", e.Target), code: se.Err, err: c.scrub(err)})
		}
	}
	return c.classify(e.Target, "edit alert message", err)
}

// displayName is how a person is shown in a claim: their Slack display
// name, else their full name, else what the event said, else their id.
// users.info answers are kept an hour.
func (c *Client) displayName(ctx context.Context, user, fallback string) string {
	if user == "" {
		return fallback
	}
	c.mu.Lock()
	cached, ok := c.names[user]
	c.mu.Unlock()
	if ok && c.now().Before(cached.expires) {
		return cached.name
	}
	u, err := c.api.GetUserInfoContext(ctx, user)
	if err != nil {
		c.log.Warn("slack users.info failed; showing the user by the name the event gave", "user", user, "err", c.classify("workspace", "look up user", err))
		return fallback
	}
	name := cmpOr(u.Profile.DisplayName, u.RealName)
	if name == "" {
		// Not kept: the next event may carry a better name.
		return cmpOr(fallback, u.Name)
	}
	c.mu.Lock()
	if c.names == nil {
		c.names = map[string]cachedName{}
	}
	c.names[user] = cachedName{name: name, expires: c.now().Add(nameCacheTTL)}
	c.mu.Unlock()
	return name
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// interactive handles a click on an alert's buttons: the same command as
// typed, by the person who clicked. The message changes through the edit
// the command asks for; only a refusal is answered, to the clicker alone.
func (l *listener) interactive(ctx context.Context, cb slack.InteractionCallback, key string) {
	if cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	for _, act := range cb.ActionCallback.BlockActions {
		verb, ok := claimActions[act.ActionID]
		if !ok || act.Value == "" {
			continue
		}
		if _, err := strconv.ParseInt(act.Value, 10, 64); err != nil {
			continue // not a button of ours
		}
		channel, user := cb.Channel.ID, cb.User.ID
		if channel == "" {
			channel = cb.Container.ChannelID
		}
		text := verb + " " + act.Value
		fallback := cmpOr(cb.User.Name, cb.User.Username)
		l.spawn(ctx, func(ctx context.Context) {
			if !l.first(ctx, key+":"+act.ActionID) {
				return
			}
			req := chat.Request{
				Text:     text,
				Platform: "slack",
				Channel:  channel,
				User:     user,
				UserName: l.c.displayName(ctx, user, fallback),
				CanAdmin: l.c.canAdmin(ctx, user),
			}
			reply := l.h.Handle(ctx, req)
			log := l.c.log.With("channel", channel, "user", user, "action", verb)
			if !reply.Error {
				log.Info("slack button", "alert", act.Value)
				return
			}
			_, err := l.c.api.PostEphemeralContext(ctx, channel, user,
				slack.MsgOptionBlocks(RenderReply(reply)...),
				slack.MsgOptionText(ReplyText(reply), false),
			)
			if err != nil {
				log.Warn("slack button refusal not shown", "err", l.c.classify(channel, "reply to a button", err))
			}
		})
	}
}

// threadMessage keeps a reply that starts with "note:" in a thread, if the
// thread is an alert's.
func (l *listener) threadMessage(ctx context.Context, m slackevents.MessageEvent) {
	// thread_broadcast: a reply also sent to the channel; other subtypes
	// are edits, deletions and joins, none of them a new note.
	if m.SubType != "" && m.SubType != "thread_broadcast" {
		return
	}
	if m.ThreadTimeStamp == "" || m.ThreadTimeStamp == m.TimeStamp || m.BotID != "" || m.User == "" || m.User == l.self {
		return
	}
	text, ok := chat.NoteText(commandText(m.Text, ""))
	if !ok {
		return
	}
	nt, ok := l.h.(chat.AlertMessages)
	if !ok {
		return
	}
	l.spawn(ctx, func(ctx context.Context) {
		n := model.NoteReply{
			Platform:   "slack",
			ThreadRoot: m.ThreadTimeStamp,
			MessageID:  m.Channel + "/" + m.TimeStamp,
			By:         model.Person{Platform: "slack", ID: m.User, Name: l.c.displayName(ctx, m.User, "")},
			Text:       text,
			At:         tsTime(m.TimeStamp),
		}
		id, err := nt.TakeNote(ctx, n)
		log := l.c.log.With("channel", m.Channel, "user", m.User)
		switch {
		case err != nil:
			log.Error("could not keep a note", "err", err)
		case id != 0:
			log.Info("note kept", "alert", id)
		}
	})
}

// tsTime reads a Slack ts ("1700000000.000100") as a time; zero if it is
// not one.
func tsTime(ts string) time.Time {
	sec, _, _ := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}
