package main

import (
	"context"
	"fmt"

	"github.com/ituwatch/ituwatch/bot/slack"
)

// addChatNotifiers connects the chat platforms the config names. Nothing is
// sent here: a platform that is down at start only delays deliveries.
func (a *app) addChatNotifiers(ctx context.Context) error {
	if sc := a.cfg.Slack; sc != nil {
		c, err := slack.New(slack.Options{
			BotToken: sc.BotToken.Value(),
			AppToken: sc.AppToken.Value(),
			APIURL:   sc.APIURL,
			Admins:   sc.Admins,
			Logger:   a.log.With("platform", "slack"),
		})
		if err != nil {
			return fmt.Errorf("slack: %w", err)
		}
		a.notifiers["slack"] = c
		a.slack = c
	}
	return nil
}

// listeners returns the chat command listeners to run with the daemon.
func (a *app) listeners() map[string]func(context.Context) error {
	out := map[string]func(context.Context) error{}
	if a.slack != nil && a.cfg.Slack.AppToken.IsSet() {
		out["slack commands"] = func(ctx context.Context) error { return a.slack.Listen(ctx, a.router) }
	}
	return out
}
