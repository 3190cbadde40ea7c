package main

import (
	"context"
	"fmt"

	"github.com/ituwatch/ituwatch/bot"
	"github.com/ituwatch/ituwatch/bot/matrix"
	"github.com/ituwatch/ituwatch/bot/slack"
)

// listenerBackoff paces the reconnection of a chat listener that failed;
// tests shorten it.
var listenerBackoff = bot.DefaultListenerBackoff

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
		})
		if err != nil {
			return fmt.Errorf("slack: %w", err)
		}
		a.notifiers["slack"] = c
		a.slack = c
	}
	if mc := a.cfg.Matrix; mc != nil {
		a.matrix = &lazyMatrix{log: a.log.With("platform", "matrix"), opts: matrix.Options{
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
			Logger:             a.log,
		}}
		a.notifiers["matrix"] = a.matrix
	}
	a.addListeners()
	return nil
}

// listeners returns the chat command listeners to run with the daemon. Each
// runs under its supervisor, which retries it for as long as ctx lives, so
// none of them returns an error: a chat platform's outage or a revoked
// token must not stop polling, the console or the other platform.
func (a *app) listeners() map[string]func(context.Context) error {
	out := map[string]func(context.Context) error{}
	if a.slack != nil && !a.cfg.Slack.AppToken.IsSet() {
		a.log.Warn("slack: no app_token (xapp-) configured; alerts are posted but /itu and mentions are not answered")
	}
	for _, l := range a.chatListeners {
		out[l.sup.Status().Name+" commands"] = func(ctx context.Context) error {
			l.sup.Run(ctx, l.session)
			return nil
		}
	}
	return out
}

// chatListener is a chat platform's command listener and its supervisor.
type chatListener struct {
	sup     *bot.Supervisor
	session bot.Session
}

// addListeners sets up a supervisor for each platform that listens for
// commands; it starts nothing.
func (a *app) addListeners() {
	if a.slack != nil && a.cfg.Slack.AppToken.IsSet() {
		a.chatListeners = append(a.chatListeners, chatListener{
			sup:     bot.NewSupervisor("slack", a.log, listenerBackoff),
			session: func(ctx context.Context, up func()) error { return a.slack.Listen(ctx, a.commands, up) },
		})
	}
	if a.matrix != nil {
		a.chatListeners = append(a.chatListeners, chatListener{
			sup:     bot.NewSupervisor("matrix", a.log, listenerBackoff),
			session: func(ctx context.Context, up func()) error { return a.matrix.Listen(ctx, a.commands, up) },
		})
	}
}

// listenerStatuses is where each chat listener stands, for status,
// /healthz and /metrics.
func (a *app) listenerStatuses() []bot.ListenerStatus {
	out := make([]bot.ListenerStatus, 0, len(a.chatListeners))
	for _, l := range a.chatListeners {
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
