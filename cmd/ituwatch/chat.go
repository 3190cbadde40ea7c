package main

import "context"

// addChatNotifiers connects the chat platforms the config names.
func (a *app) addChatNotifiers(ctx context.Context) error {
	return nil
}

// listeners returns the chat command listeners to run with the daemon.
func (a *app) listeners() map[string]func(context.Context) error {
	return map[string]func(context.Context) error{}
}
