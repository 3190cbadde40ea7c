package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/matrix"
	"github.com/ituwatch/ituwatch/bot/slack"
)

// listenerBackoff paces the reconnection of a chat listener that failed;
// tests shorten it.
var listenerBackoff = chat.DefaultListenerBackoff

// addChatNotifiers sets up the chat platforms the config names. Nothing is
// sent here: a platform that is down at start only delays its deliveries.
func (a *app) addChatNotifiers(context.Context) error {
	if sc := a.cfg.Slack; sc != nil {
		c, err := slack.New(slack.Options{
			BotToken: sc.BotToken.Value(),
			AppToken: sc.AppToken.Value(),
			APIURL:   sc.APIURL,
			Admins:   sc.Admins,
			Logger:   a.log,
			// Alerts link their page in the web view.
			PermalinkBase: a.cfg.Web.BaseURL,
		})
		if err != nil {
			return fmt.Errorf("slack: %w", err)
		}
		a.notifiers["slack"] = c
		a.slack = c
	}
	if mc := a.cfg.Matrix; mc != nil {
		a.matrix = &lazyMatrix{opts: matrix.Options{
			Homeserver:         mc.Homeserver,
			UserID:             mc.UserID,
			DeviceID:           mc.DeviceID,
			AccessToken:        mc.AccessToken.Value(),
			Password:           mc.Password.Value(),
			AllowedUsers:       mc.AllowedUsers,
			AllowedHomeservers: mc.AllowedHomeservers,
			Admins:             mc.Admins,
			Encryption:         mc.Encryption.Enabled,
			PickleKey:          mc.Encryption.PickleKey.Value(),
			State:              a.store,
			DB:                 a.store.DB(),
			DBDialect:          a.store.Driver(),
			Logger:             a.log,
			PermalinkBase:      a.cfg.Web.BaseURL,
		}}
		a.notifiers["matrix"] = a.matrix
	}
	return nil
}

// listeners returns the chat command listeners to run with the daemon: the
// ones every instance runs (Slack: each command is answered once, see
// chat.Once) and the ones only the leader runs (Matrix: its sync is one
// stream per account). Each runs under its supervisor, which retries it
// until ctx ends: a chat platform's outage or a revoked token must not stop
// polling, the console or the other platform. Only `run` listens; other
// commands show none.
func (a *app) listeners() (everyone, leaderOnly []func(context.Context)) {
	if a.slack != nil && !a.cfg.Slack.AppToken.IsSet() {
		a.log.Warn("slack: no app_token (xapp-) configured; alerts are posted but /itu and mentions are not answered")
	}
	var set []chatListener
	if a.slack != nil && a.cfg.Slack.AppToken.IsSet() {
		set = append(set, chatListener{
			sup:     chat.NewSupervisor("slack", a.log, listenerBackoff),
			session: func(ctx context.Context, up func()) error { return a.slack.Listen(ctx, a.commands, up) },
		})
	}
	if a.matrix != nil {
		set = append(set, chatListener{
			sup:        chat.NewSupervisor("matrix", a.log, listenerBackoff),
			session:    func(ctx context.Context, up func()) error { return a.matrix.Listen(ctx, a.commands, up) },
			leaderOnly: true,
		})
	}
	a.chatListeners.mu.Lock()
	a.chatListeners.list = set
	a.chatListeners.mu.Unlock()
	for _, l := range set {
		run := func(ctx context.Context) { l.sup.Run(ctx, l.session) }
		if l.leaderOnly {
			leaderOnly = append(leaderOnly, run)
		} else {
			everyone = append(everyone, run)
		}
	}
	return everyone, leaderOnly
}

// listenerSet holds the supervised command listeners once `run` made them;
// status, /healthz and /metrics read it meanwhile.
type listenerSet struct {
	mu   sync.Mutex
	list []chatListener
}

// chatListener is a chat platform's command listener and its supervisor.
type chatListener struct {
	sup        *chat.Supervisor
	session    chat.Session
	leaderOnly bool // runs only while this instance leads
}

// listenerStatuses is where each chat listener stands, for status,
// /healthz and /metrics.
func (a *app) listenerStatuses() []chat.ListenerStatus {
	a.chatListeners.mu.Lock()
	defer a.chatListeners.mu.Unlock()
	out := make([]chat.ListenerStatus, 0, len(a.chatListeners.list))
	leading := true
	if a.election != nil {
		leading, _ = a.election.Leading()
	}
	for _, l := range a.chatListeners.list {
		if l.leaderOnly && !leading {
			continue // the leader runs it; this instance stands by
		}
		out = append(out, l.sup.Status())
	}
	return out
}

// chatProblems collects what the chat adapters found that a person must fix.
func (a *app) chatProblems() []string {
	if a.matrix == nil {
		return nil
	}
	return a.matrix.Problems()
}
