package slack

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/ituwatch/ituwatch/bot/chat"
)

const (
	maxConcurrentCommands = 8
	commandTimeout        = 30 * time.Second
	seenEventsKept        = 256
)

// Listen connects to Slack over Socket Mode and answers the slash command
// (/itu <command>, ephemeral to the asker) and mentions (@ituwatch <command>,
// in the thread) until ctx ends. Every request is acknowledged at once, as
// Slack wants within three seconds; the answer follows through the Web API.
// It calls connected (if not nil) once the websocket is open. It is one
// connection: it returns nil when ctx ends and, when Slack cannot be reached
// or refuses a token, an error saying so in plain words; chat.Supervisor
// starts it again. Slack's routine reconnections (it rotates connections
// every few hours) happen inside and do not end it.
func (c *Client) Listen(ctx context.Context, h chat.Handler, connected func()) error {
	if c.appToken == "" {
		return errors.New("slack commands need Socket Mode: set SLACK_APP_TOKEN to an app-level token (xapp-…) with the connections:write scope, see docs/slack.md")
	}
	auth, err := c.api.AuthTestContext(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return c.unavailable(err)
	}
	sm := socketmode.New(c.api)
	l := &listener{c: c, sm: sm, h: h, self: auth.UserID, sem: make(chan struct{}, maxConcurrentCommands), seen: newSeenSet(seenEventsKept)}
	defer l.wg.Wait() // after stop: answers in flight are cancelled, not awaited
	runErr := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { runErr <- sm.RunContext(runCtx) }()

	for {
		select {
		case <-ctx.Done():
			stop()
			<-runErr
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return c.socketModeError(err)
		case evt := <-sm.Events:
			switch evt.Type {
			case socketmode.EventTypeConnected:
				c.log.Debug("slack socket mode connected")
				if connected != nil {
					connected()
				}
			case socketmode.EventTypeConnectionError:
				// slack-go would retry on its own, with a backoff nobody
				// sees; the supervisor retries instead and shows the state.
				stop()
				<-runErr
				if ctx.Err() != nil {
					return nil
				}
				var cause error = errors.New("the connection failed")
				if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok && e.ErrorObj != nil {
					cause = e.ErrorObj
				}
				return c.socketModeError(cause)
			default:
				l.dispatch(runCtx, evt)
			}
		}
	}
}

// unavailable explains why auth.test, the first call of a connection,
// failed: Slack unreachable, Slack in trouble, or the bot token refused.
func (c *Client) unavailable(err error) error {
	err = c.scrub(err)
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		if reason := permanentReason(se.Err, "workspace", se.Needed); reason != "" {
			return fmt.Errorf("%s (Slack said %s)", reason, se.Err)
		}
		return fmt.Errorf("slack refused auth.test (%s): %w", se.Err, err)
	}
	return c.transportError("check the bot token with auth.test", err)
}

// transportError says in plain words that Slack could not be reached or
// answered with an HTTP error.
func (c *Client) transportError(doing string, err error) error {
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		status := sc.Status
		if !strings.HasPrefix(status, strconv.Itoa(sc.Code)) {
			status = fmt.Sprintf("%d %s", sc.Code, status)
		}
		if sc.Code >= 500 {
			return fmt.Errorf("slack answered HTTP %s when ituwatch tried to %s: Slack is having trouble; ituwatch retries on its own", status, doing)
		}
		return fmt.Errorf("slack answered HTTP %s when ituwatch tried to %s; check slack.api_url: %w", status, doing, err)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return fmt.Errorf("cannot reach Slack to %s (check the network, a proxy or slack.api_url): %w", doing, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

func (c *Client) socketModeError(err error) error {
	err = c.scrub(err)
	var se slack.SlackErrorResponse
	code := err.Error()
	if errors.As(err, &se) {
		code = se.Err
	}
	switch code {
	case "invalid_auth", "not_authed", "token_revoked", "account_inactive":
		return fmt.Errorf("slack refused the app-level token (%s): check SLACK_APP_TOKEN (xapp-…, with connections:write) and that Socket Mode is enabled for the app; alerts are still posted with the bot token: %w", code, err)
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == 404 {
		return fmt.Errorf("slack socket mode: apps.connections.open not found; check slack.api_url: %w", err)
	}
	return c.transportError("open a Socket Mode connection", err)
}

type listener struct {
	c    *Client
	sm   *socketmode.Client
	h    chat.Handler
	self string // the bot's own user id
	sem  chan struct{}
	wg   sync.WaitGroup
	seen *seenSet
}

func (l *listener) dispatch(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		l.ack(ctx, evt)
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			return
		}
		key := cmpOr(cmd.TriggerID, envelopeID(evt))
		l.spawn(ctx, func(ctx context.Context) {
			if l.first(ctx, key) {
				l.slashCommand(ctx, cmd)
			}
		})
	case socketmode.EventTypeEventsAPI:
		l.ack(ctx, evt)
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || ev.Type != slackevents.CallbackEvent {
			return
		}
		key := envelopeID(evt)
		if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
			if !l.seen.add(cb.EventID) {
				return // Slack redelivered an event we already answered
			}
			key = cb.EventID
		}
		if m, ok := ev.InnerEvent.Data.(*slackevents.AppMentionEvent); ok {
			if m.BotID != "" || m.User == "" || m.User == l.self {
				return // bots talking to bots end in loops
			}
			mention := *m
			l.spawn(ctx, func(ctx context.Context) {
				if l.first(ctx, key) {
					l.mention(ctx, mention)
				}
			})
		}
		if m, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent); ok {
			l.threadMessage(ctx, *m)
		}
	case socketmode.EventTypeInteractive:
		l.ack(ctx, evt)
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			l.interactive(ctx, cb, cmpOr(cb.TriggerID, envelopeID(evt)))
		}
	}
}

// first says whether this connection is to answer the event key: every
// instance of ituwatch sharing a store keeps a Socket Mode connection, and
// Slack hands an event to any one of them, or to another again when its
// acknowledgement came late; the handler (when it is a chat.Once) lets one
// answer. A handler without it, or an event without an id, answers.
func (l *listener) first(ctx context.Context, key string) bool {
	o, ok := l.h.(chat.Once)
	if !ok || key == "" {
		return true
	}
	return o.FirstAnswer(ctx, "slack:"+key)
}

// envelopeID is the Socket Mode envelope's id: an event's id of last resort.
func envelopeID(evt socketmode.Event) string {
	if evt.Request == nil {
		return ""
	}
	return evt.Request.EnvelopeID
}

func (l *listener) ack(ctx context.Context, evt socketmode.Event) {
	if evt.Request == nil {
		return
	}
	if err := l.sm.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
		l.c.log.Warn("slack ack failed", "err", err)
	}
}

func (l *listener) spawn(ctx context.Context, fn func(context.Context)) {
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	l.wg.Go(func() {
		defer func() { <-l.sem }()
		ctx, cancel := context.WithTimeout(ctx, commandTimeout)
		defer cancel()
		fn(ctx)
	})
}

func (l *listener) slashCommand(ctx context.Context, cmd slack.SlashCommand) {
	req := chat.Request{
		Text:     commandText(cmd.Text, ""),
		Platform: "slack",
		Channel:  cmd.ChannelID,
		User:     cmd.UserID,
		CanAdmin: l.c.canAdmin(ctx, cmd.UserID),
	}
	reply := l.h.Handle(ctx, req)
	blocks, text := RenderReply(reply), ReplyText(reply)
	log := l.c.log.With("channel", cmd.ChannelID, "user", cmd.UserID)
	// The response_url reaches the asker in any conversation, including
	// private ones the bot is not in; chat.postEphemeral only works where
	// the bot is a member.
	if cmd.ResponseURL != "" {
		no := false
		err := slack.PostWebhookCustomHTTPContext(ctx, cmd.ResponseURL, l.c.http, &slack.WebhookMessage{
			ResponseType: slack.ResponseTypeEphemeral,
			Text:         text,
			Blocks:       &slack.Blocks{BlockSet: blocks},
			UnfurlLinks:  &no,
			UnfurlMedia:  &no,
		})
		if err == nil {
			return
		}
		log.Warn("slack slash command reply via response_url failed; trying chat.postEphemeral", "err", l.c.scrub(err))
	}
	_, err := l.c.api.PostEphemeralContext(ctx, cmd.ChannelID, cmd.UserID,
		slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionText(text, false),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	)
	if err != nil {
		log.Warn("slack slash command reply failed", "err", l.c.classify(cmd.ChannelID, "reply to /itu", err))
	}
}

func (l *listener) mention(ctx context.Context, ev slackevents.AppMentionEvent) {
	req := chat.Request{
		Text:     commandText(ev.Text, l.self),
		Platform: "slack",
		Channel:  ev.Channel,
		User:     ev.User,
		CanAdmin: l.c.canAdmin(ctx, ev.User),
	}
	reply := l.h.Handle(ctx, req)
	thread := ev.ThreadTimeStamp
	if thread == "" {
		thread = ev.TimeStamp
	}
	if err := l.c.pace(ctx, ev.Channel); err != nil {
		return
	}
	_, _, err := l.c.api.PostMessageContext(ctx, ev.Channel,
		slack.MsgOptionBlocks(RenderReply(reply)...),
		slack.MsgOptionText(ReplyText(reply), false),
		slack.MsgOptionTS(thread),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	)
	if err != nil {
		l.c.log.Warn("slack mention reply failed", "channel", ev.Channel, "err", l.c.classify(ev.Channel, "reply to mention", err))
	}
}

var userMention = regexp.MustCompile(`<@([A-Z0-9]+)(?:\|[^>]*)?>`)

// commandText is what the router reads: the bot's own mention removed,
// Slack's escaping undone, blank meaning help.
func commandText(s, botUser string) string {
	if botUser != "" {
		s = userMention.ReplaceAllStringFunc(s, func(m string) string {
			if userMention.FindStringSubmatch(m)[1] == botUser {
				return " "
			}
			return m
		})
	}
	s = strings.Join(strings.Fields(html.UnescapeString(s)), " ")
	if s == "" {
		return "help"
	}
	return s
}

// canAdmin: a configured admin, or a workspace admin or owner per users.info
// (cached for a few minutes). When Slack cannot say, the answer is no.
func (c *Client) canAdmin(ctx context.Context, user string) bool {
	if user == "" {
		return false
	}
	if c.admins[user] {
		return true
	}
	c.mu.Lock()
	cached, ok := c.userRole[user]
	c.mu.Unlock()
	if ok && c.now().Before(cached.expires) {
		return cached.admin
	}
	u, err := c.api.GetUserInfoContext(ctx, user)
	if err != nil {
		c.log.Warn("slack users.info failed; treating the user as not an admin", "user", user, "err", c.classify("workspace", "look up user", err))
		return false
	}
	admin := !u.IsBot && (u.IsAdmin || u.IsOwner || u.IsPrimaryOwner)
	c.mu.Lock()
	c.userRole[user] = cachedAdmin{admin: admin, expires: c.now().Add(adminCacheTTL)}
	c.mu.Unlock()
	return admin
}

// seenSet remembers the last n event ids.
type seenSet struct {
	mu    sync.Mutex
	ids   map[string]bool
	order []string
	n     int
}

func newSeenSet(n int) *seenSet { return &seenSet{ids: map[string]bool{}, n: n} }

// add reports whether id is new.
func (s *seenSet) add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[id] {
		return false
	}
	s.ids[id] = true
	s.order = append(s.order, id)
	if len(s.order) > s.n {
		delete(s.ids, s.order[0])
		s.order = s.order[1:]
	}
	return true
}
