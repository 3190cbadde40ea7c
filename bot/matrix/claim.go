package matrix

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// Claiming an alert from Matrix: a reaction on an alert (👀 claims it, ✅
// closes it) runs the same claim and done commands as !itu, by the person
// who reacted; the store then owes the alert an edit, made as an m.replace
// event (Client.Edit). Replies starting with "note:" in an alert's thread
// are kept as notes as they arrive. Taking a reaction away changes
// nothing: "!itu unclaim 42" does.

// reactionCommands maps a reaction key, without emoji variation
// selectors, to the command it runs.
var reactionCommands = map[string]string{
	"👀": "claim",
	"✅": "done",
	"✔": "done",
}

// Edit shows an alert's claim in its posted event, with an m.replace edit
// whose transaction id is derived from the delivery and the claim, so a
// retried edit is deduplicated by the homeserver. Clients do not notify
// anyone of an edit (the spec's .m.rule.suppress_edits), and m.mentions is
// empty in the edit and in its new content: the name shown pings nobody.
func (c *Client) Edit(ctx context.Context, e notify.Edit) error {
	room, err := c.roomID(ctx, e.Target)
	if err != nil {
		return err
	}
	content := alertContent(render.NewAlertView(e.Alert, render.ViewOptions{CommandPrefix: CommandPrefix + " ", Claim: e.Claim, PermalinkBase: c.permalink}))
	content.SetEdit(id.EventID(e.ExternalID))
	content.NewContent.Mentions = &event.Mentions{}
	state := "none"
	if e.Claim != nil {
		state = string(e.Claim.State) + "|" + e.Claim.By.Platform + "|" + e.Claim.By.ID + "|" + e.Claim.Note + "|" + strconv.FormatInt(e.Claim.At.UnixNano(), 10)
	}
	h := sha256.Sum256([]byte(e.ExternalID + "\x00" + state))
	txn := "itu-e" + strconv.FormatInt(e.DeliveryID, 10) + "-" + hex.EncodeToString(h[:8])
	if _, err := c.cli.SendMessageEvent(ctx, room, event.EventMessage, content, mautrix.ReqSendEvent{TransactionID: txn}); err != nil {
		if errCode(err) == "M_FORBIDDEN" {
			// Out of the room, or no longer allowed to post: an edit of
			// an old alert is not worth holding for.
			return notify.Permanent(fmt.Errorf("edit alert %d in matrix room %s: the bot may not post there any more: %w", e.Alert.ID, e.Target, c.scrub(err)))
		}
		return c.classify(e.Target, "edit alert "+strconv.FormatInt(e.Alert.ID, 10), err)
	}
	return nil
}

// onReaction claims or closes the alert a room member reacted to. Only a
// member of the room can send an event into it, so the reaction itself
// shows the sender may.
func (c *Client) onReaction(ctx context.Context, evt *event.Event) {
	src := evt.Mautrix.EventSource
	if src&event.SourceTimeline == 0 || src&event.SourceJoin == 0 || firstSync(ctx) || evt.Sender == c.self {
		return
	}
	rel := evt.Content.AsReaction().GetRelatesTo()
	if rel == nil || rel.Type != event.RelAnnotation || rel.EventID == "" {
		return
	}
	verb, ok := reactionCommands[strings.ReplaceAll(rel.Key, "\ufe0f", "")]
	if !ok {
		return
	}
	c.mu.Lock()
	h := c.handler
	c.mu.Unlock()
	am, ok := h.(chat.AlertMessages)
	if !ok {
		return
	}
	cmdCtx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	alertID, err := am.AlertOfMessage(cmdCtx, "matrix", string(rel.EventID))
	if err != nil {
		c.log.Error("could not look up the alert of a reaction", "room", evt.RoomID, "err", err)
		return
	}
	if alertID == 0 {
		return // a reaction to anything else
	}
	reply := h.Handle(cmdCtx, chat.Request{
		Text:     verb + " " + strconv.FormatInt(alertID, 10),
		Platform: "matrix",
		Channel:  string(evt.RoomID),
		User:     string(evt.Sender),
		UserName: c.displayName(cmdCtx, evt.RoomID, evt.Sender),
		CanAdmin: c.canAdmin(cmdCtx, evt.RoomID, evt.Sender),
	})
	log := c.log.With("room", evt.RoomID, "user", evt.Sender, "alert", alertID, "action", verb)
	if !reply.Error {
		log.Info("matrix reaction")
		return
	}
	// Say why, in the alert's thread, to the room: Matrix has no message
	// only one person sees.
	content := replyContent(reply)
	content.RelatesTo = &event.RelatesTo{Type: event.RelThread, EventID: rel.EventID, IsFallingBack: true, InReplyTo: &event.InReplyTo{EventID: evt.ID}}
	h256 := sha256.Sum256([]byte(evt.ID))
	if _, err := c.cli.SendMessageEvent(cmdCtx, evt.RoomID, event.EventMessage, content, mautrix.ReqSendEvent{TransactionID: "itu-x" + hex.EncodeToString(h256[:12])}); err != nil {
		log.Warn("could not answer a matrix reaction", "err", c.classify(string(evt.RoomID), "answer reaction", err))
	}
}

// takeNote keeps msg if it is a "note:" reply in a thread; it reports
// whether it was one (and so is not a command).
func (c *Client) takeNote(ctx context.Context, evt *event.Event, msg *event.MessageEventContent) bool {
	root := msg.RelatesTo.GetThreadParent()
	if root == "" {
		return false
	}
	text, ok := chat.NoteText(msg.Body)
	if !ok {
		return false
	}
	c.mu.Lock()
	h := c.handler
	c.mu.Unlock()
	am, ok := h.(chat.AlertMessages)
	if !ok {
		return false
	}
	nctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	at := time.UnixMilli(evt.Timestamp).UTC()
	if evt.Timestamp <= 0 {
		at = time.Time{}
	}
	alertID, err := am.TakeNote(nctx, model.NoteReply{
		Platform:   "matrix",
		ThreadRoot: string(root),
		MessageID:  string(evt.ID),
		By:         model.Person{Platform: "matrix", ID: string(evt.Sender), Name: c.displayName(nctx, evt.RoomID, evt.Sender)},
		Text:       text,
		At:         at,
	})
	log := c.log.With("room", evt.RoomID, "user", evt.Sender)
	switch {
	case err != nil:
		log.Error("could not keep a note", "err", err)
	case alertID != 0:
		log.Info("note kept", "alert", alertID)
	}
	return true
}

// displayName is the sender's display name in the room, from their
// membership event; their user id when it has none or cannot be read.
func (c *Client) displayName(ctx context.Context, room id.RoomID, user id.UserID) string {
	var member event.MemberEventContent
	if err := c.cli.StateEvent(ctx, room, event.StateMember, string(user), &member); err != nil {
		if !errors.Is(err, mautrix.MNotFound) {
			c.log.Debug("could not read a matrix display name", "room", room, "user", user, "err", c.scrub(err))
		}
		return string(user)
	}
	if n := strings.TrimSpace(member.Displayname); n != "" {
		return n
	}
	return string(user)
}

// claimLine is "👀 Claimed by Alice" or "✅ Done by Alice — note" under an
// alert; "" while nobody is on it.
func claimLine(v render.AlertView) string {
	line := v.Claim.Line()
	if line == "" {
		return ""
	}
	mark := "👀 "
	if v.Claim.State == model.Done {
		mark = "✅ "
	}
	return mark + strings.ToUpper(line[:1]) + line[1:]
}
