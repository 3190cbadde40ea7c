package matrix

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/render"
)

// CommandPrefix starts a command in a room or a direct message.
const CommandPrefix = "!itu"

const (
	commandTimeout = 30 * time.Second
	adminLevel     = 50
)

type powerLevels = event.PowerLevelsEventContent

// Listen runs the sync loop until ctx ends: it accepts or declines invites
// and answers !itu commands. The sync position is kept in State before each
// batch is handled, so a restart neither replays old commands nor misses
// invites; on the very first sync (nothing kept) old messages are skipped.
// It calls connected (if not nil) after each successful sync. It is one
// connection: it returns nil when ctx ends and an error, in plain words, at
// the first failed sync; chat.Supervisor starts it again after a backoff.
func (c *Client) Listen(ctx context.Context, h chat.Handler, connected func()) error {
	if h == nil {
		return errors.New("matrix listener without a command handler (internal wiring error)")
	}
	c.mu.Lock()
	c.handler = h
	c.mu.Unlock()
	c.syncer.connected = connected
	c.log.Debug("listening for matrix invites and commands", "user", c.self)
	err := c.cli.SyncWithContext(ctx)
	if ctx.Err() != nil {
		return nil
	}
	if err == nil {
		return errors.New("the matrix sync loop stopped")
	}
	return c.authError("sync with the matrix homeserver", err)
}

// TokenRejected reports whether err means the homeserver no longer accepts
// the bot's access token (logged out, revoked).
func TokenRejected(err error) bool {
	return errors.Is(err, mautrix.MUnknownToken) || errors.Is(err, mautrix.MMissingToken)
}

// syncer is mautrix's DefaultSyncer that ends the sync loop at the first
// failure: the listener's supervisor owns the retries, so that they are
// paced, logged and shown in one place.
type syncer struct {
	*mautrix.DefaultSyncer
	connected func() // set by Listen before the loop starts; called by the loop only
}

func newSyncer(c *Client) *syncer {
	s := &syncer{DefaultSyncer: mautrix.NewDefaultSyncer()}
	s.OnSync(func(context.Context, *mautrix.RespSync, string) bool {
		if s.connected != nil {
			s.connected()
		}
		return true
	})
	s.OnEventType(event.StateMember, c.onMember)
	s.OnEventType(event.EventMessage, c.onMessage)
	s.OnEventType(event.StateEncryption, c.onEncryption)
	s.OnEventType(event.EventEncrypted, c.onEncrypted)
	s.OnEventType(event.StatePowerLevels, c.onPowerLevels)
	s.OnEventType(event.EventReaction, c.onReaction)
	return s
}

func (s *syncer) OnFailedSync(_ *mautrix.RespSync, err error) (time.Duration, error) {
	return 0, err
}

// syncStore keeps the sync position and filter id in the store.
type syncStore struct{ state StateStore }

func (s *syncStore) SaveFilterID(ctx context.Context, _ id.UserID, filterID string) error {
	return s.state.SetState(ctx, stateFilterID, filterID)
}

func (s *syncStore) LoadFilterID(ctx context.Context, _ id.UserID) (string, error) {
	v, _, err := s.state.GetState(ctx, stateFilterID)
	return v, err
}

func (s *syncStore) SaveNextBatch(ctx context.Context, _ id.UserID, token string) error {
	return s.state.SetState(ctx, stateNextBatch, token)
}

func (s *syncStore) LoadNextBatch(ctx context.Context, _ id.UserID) (string, error) {
	v, _, err := s.state.GetState(ctx, stateNextBatch)
	return v, err
}

// firstSync reports whether evt came from a sync without a kept position,
// whose timeline is history the bot must not act on.
func firstSync(ctx context.Context) bool {
	since, _ := ctx.Value(mautrix.SyncTokenContextKey).(string)
	return since == ""
}

func (c *Client) onMember(ctx context.Context, evt *event.Event) {
	if evt.Mautrix.EventSource&event.SourceInvite == 0 || evt.GetStateKey() != string(c.self) {
		return
	}
	if evt.Content.AsMember().Membership != event.MembershipInvite {
		return
	}
	room, inviter := evt.RoomID, evt.Sender
	if ok, why := c.mayInvite(inviter); !ok {
		c.log.Info("declining matrix invite", "room", room, "inviter", inviter)
		_, err := c.cli.LeaveRoom(ctx, room, &mautrix.ReqLeave{Reason: why})
		if err != nil {
			c.log.Warn("could not decline matrix invite", "room", room, "inviter", inviter, "err", c.scrub(err))
		}
		return
	}
	if _, err := c.cli.JoinRoomByID(ctx, room); err != nil {
		c.log.Warn("could not join matrix room after an invite", "room", room, "inviter", inviter, "err", c.scrub(err))
		return
	}
	c.log.Info("joined matrix room", "room", room, "inviter", inviter)
}

// mayInvite says whether the bot follows an invite from user, and if not,
// the reason it gives the inviter.
func (c *Client) mayInvite(user id.UserID) (bool, string) {
	_, server, err := user.Parse()
	if err != nil {
		return false, "ituwatch could not read the inviter's user id"
	}
	server = strings.ToLower(server)
	if c.allowedUsers[strings.ToLower(string(user))] || c.allowedServers[server] {
		return true, ""
	}
	if len(c.allowedUsers) == 0 && len(c.allowedServers) == 0 {
		if strings.EqualFold(server, c.server) {
			return true, ""
		}
		return false, fmt.Sprintf("ituwatch only joins rooms when invited by users of %s; ask its operator to add %s or %s to matrix.allowed_users or matrix.allowed_homeservers", c.server, user, server)
	}
	return false, fmt.Sprintf("ituwatch only joins rooms when invited by an allowed user; ask its operator to add %s to matrix.allowed_users (or %s to matrix.allowed_homeservers)", user, server)
}

func (c *Client) onEncryption(_ context.Context, evt *event.Event) {
	if evt.Mautrix.EventSource&event.SourceJoin != 0 {
		c.noteEncryptedRoom(evt.RoomID)
	}
}

func (c *Client) onEncrypted(_ context.Context, evt *event.Event) {
	c.noteEncryptedRoom(evt.RoomID)
}

func (c *Client) onPowerLevels(_ context.Context, evt *event.Event) {
	c.mu.Lock()
	delete(c.power, evt.RoomID) // changed: fetch afresh at the next command
	c.mu.Unlock()
}

// command returns the command text when body is an !itu command.
func command(body string) (string, bool) {
	body = strings.TrimSpace(body)
	if len(body) < len(CommandPrefix) || !strings.EqualFold(body[:len(CommandPrefix)], CommandPrefix) {
		return "", false
	}
	rest := body[len(CommandPrefix):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '\n' {
		return "", false // "!ituwatch", "!itux": not ours
	}
	return strings.TrimSpace(rest), true
}

func (c *Client) onMessage(ctx context.Context, evt *event.Event) {
	src := evt.Mautrix.EventSource
	if src&event.SourceTimeline == 0 || src&event.SourceJoin == 0 || firstSync(ctx) {
		return
	}
	if evt.Sender == c.self {
		return // our own alerts and replies
	}
	msg := evt.Content.AsMessage()
	// Bots answer with m.notice and never to one: that keeps two bots from
	// talking to each other forever. Edits do not run a command again.
	if msg.MsgType != event.MsgText || msg.RelatesTo.GetReplaceID() != "" {
		return
	}
	if c.takeNote(ctx, evt, msg) {
		return
	}
	text, ok := command(msg.Body)
	if !ok {
		return
	}
	c.mu.Lock()
	h := c.handler
	c.mu.Unlock()
	if h == nil {
		return
	}
	cmdCtx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	if o, ok := h.(chat.Once); ok && !o.FirstAnswer(cmdCtx, "matrix:"+string(evt.ID)) {
		// Answered by an instance that led before this one and stopped
		// before it saved its sync position.
		return
	}
	verb, _, _ := strings.Cut(text, " ")
	c.log.Info("matrix command", "room", evt.RoomID, "user", evt.Sender, "command", render.Clip(verb, render.MaxShortRunes))
	req := chat.Request{
		Text:     text,
		Platform: "matrix",
		Channel:  string(evt.RoomID),
		User:     string(evt.Sender),
		CanAdmin: c.canAdmin(cmdCtx, evt.RoomID, evt.Sender),
	}
	reply := h.Handle(cmdCtx, req)
	content := replyContent(reply)
	rel := &event.RelatesTo{InReplyTo: &event.InReplyTo{EventID: evt.ID}}
	if root := msg.RelatesTo.GetThreadParent(); root != "" {
		rel.Type, rel.EventID = event.RelThread, root
	}
	content.RelatesTo = rel
	h256 := sha256.Sum256([]byte(evt.ID))
	txn := "itu-r" + hex.EncodeToString(h256[:12])
	if _, err := c.cli.SendMessageEvent(cmdCtx, evt.RoomID, event.EventMessage, content, mautrix.ReqSendEvent{TransactionID: txn}); err != nil {
		c.log.Warn("could not answer matrix command", "room", evt.RoomID, "user", evt.Sender, "err", c.classify(string(evt.RoomID), "answer command", err))
	}
}

// canAdmin: configured admins anywhere, and room moderators (power level 50
// or more) in their room.
func (c *Client) canAdmin(ctx context.Context, room id.RoomID, user id.UserID) bool {
	if c.admins[strings.ToLower(string(user))] {
		return true
	}
	pl, err := c.powerLevels(ctx, room)
	if err != nil {
		c.log.Warn("could not read matrix power levels; treating the asker as a regular member", "room", room, "err", c.scrub(err))
		return false
	}
	return pl.GetUserLevel(user) >= adminLevel
}

func (c *Client) powerLevels(ctx context.Context, room id.RoomID) (*powerLevels, error) {
	now := c.now()
	c.mu.Lock()
	cached, ok := c.power[room]
	c.mu.Unlock()
	if ok && now.Before(cached.expires) {
		return cached.levels, nil
	}
	var pl powerLevels
	if err := c.cli.StateEvent(ctx, room, event.StatePowerLevels, "", &pl); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.power[room] = cachedPower{levels: &pl, expires: now.Add(powerCacheTTL)}
	c.mu.Unlock()
	return &pl, nil
}
