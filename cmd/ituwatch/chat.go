package main

import (
	"context"
	"fmt"

	"github.com/ituwatch/ituwatch/bot/matrix"
	"github.com/ituwatch/ituwatch/bot/slack"
)

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
	return nil
}

// listeners returns the chat command listeners to run with the daemon.
func (a *app) listeners() map[string]func(context.Context) error {
	out := map[string]func(context.Context) error{}
	if a.slack != nil && a.cfg.Slack.AppToken.IsSet() {
		out["slack commands"] = func(ctx context.Context) error { return a.slack.Listen(ctx, a.commands) }
	} else if a.slack != nil {
		a.log.Warn("slack: no app_token (xapp-) configured; alerts are posted but /itu and mentions are not answered")
	}
	if a.matrix != nil {
		out["matrix sync"] = func(ctx context.Context) error { return a.matrix.Listen(ctx, a.commands) }
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
