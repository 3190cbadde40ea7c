package slack

import (
	"context"
	"fmt"
	"regexp"

	"github.com/slack-go/slack"

	"github.com/ituwatch/ituwatch/bot/notify"
)

// userIDPattern is a Slack user id, the target of a follow's direct
// messages ("slack:@U0123ABCD").
var userIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{6,}$`)

// directChannel returns the id of the bot's direct-message conversation
// with a user, opening it with conversations.open (scope im:write) the
// first time and remembering it: Slack answers the same id each time.
func (c *Client) directChannel(ctx context.Context, user string) (string, error) {
	if !userIDPattern.MatchString(user) {
		return "", notify.Permanent(fmt.Errorf("%q is not a Slack user id (U0123ABCD); a follow's direct messages go to slack:@<user id>", user))
	}
	key := "@" + user
	c.mu.Lock()
	id, ok := c.channels[key]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	ch, _, _, err := c.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil {
		return "", c.classify(key, "open a direct message", err)
	}
	if ch == nil || ch.ID == "" {
		return "", fmt.Errorf("open a direct message with %s: Slack answered no channel", user)
	}
	c.mu.Lock()
	c.channels[key] = ch.ID
	c.mu.Unlock()
	return ch.ID, nil
}
