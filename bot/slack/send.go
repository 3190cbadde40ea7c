package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/bot/render"
)

// MetadataEventType marks ituwatch's alert messages in Slack's message
// metadata; the payload carries alert_id and delivery_id.
const MetadataEventType = "ituwatch_alert"

const (
	recoveryHistoryLimit = 100             // messages looked at when checking for an earlier post
	recoverySlack        = 2 * time.Minute // clock skew allowed between us and Slack
)

// Send posts one alert. A retried delivery, or one left pending by an earlier
// run, is first looked for in the channel: if Slack already holds a message
// whose metadata carries this delivery id, its ts is returned and nothing is
// posted again. That bounds duplicates after a crash between Slack accepting
// a message and the store recording it, to messages older than the last 100
// in the channel or thread.
func (c *Client) Send(ctx context.Context, msg notify.Outgoing) (string, error) {
	log := c.log.With("channel", msg.Target, "alert", msg.Alert.ID, "delivery", msg.DeliveryID)
	if msg.Target == "" {
		return "", notify.Permanent(fmt.Errorf("slack destination without a channel: write it as slack:#channel or slack:C0123ABCD"))
	}
	if user, ok := strings.CutPrefix(msg.Target, "@"); ok {
		// A person's follows go to their direct messages.
		ch, err := c.directChannel(ctx, user)
		if err != nil {
			return "", err
		}
		msg.Target = ch
	}
	if c.mayHavePosted(msg) {
		ts, err := c.findPosted(ctx, msg)
		switch {
		case err == nil && ts != "":
			log.Info("alert already in slack, not posting again", "ts", ts)
			return ts, nil
		case err != nil:
			if _, wait := notify.RetryAfter(err); wait {
				return "", err
			}
			// Posting anyway risks a duplicate; not posting risks a lost
			// alert. If the channel is really gone the post says so.
			log.Warn("could not check slack for an earlier post; posting", "err", err)
		}
	}

	blocks, text := renderAlert(render.NewAlertView(msg.Alert, render.ViewOptions{Explained: msg.Explained, CommandPrefix: slashCommand + " ", PermalinkBase: c.permalink}))
	opts := []slack.MsgOption{
		slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionText(text, false),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
		slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType: MetadataEventType,
			EventPayload: map[string]any{
				"alert_id":    msg.Alert.ID,
				"delivery_id": msg.DeliveryID,
			},
		}),
	}
	if msg.ThreadID != "" {
		opts = append(opts, slack.MsgOptionTS(msg.ThreadID))
	}
	if err := c.pace(ctx, msg.Target); err != nil {
		return "", err
	}
	channel, ts, err := c.api.PostMessageContext(ctx, msg.Target, opts...)
	if err != nil {
		err = notYetInvited(msg.Target, c.classify(msg.Target, "post alert", err))
		log.Warn("slack post failed", "err", err, "permanent", notify.IsPermanent(err), "held", notify.IsHeld(err))
		return "", err
	}
	c.rememberChannel(msg.Target, channel)
	log.Debug("alert posted to slack", "ts", ts)
	return ts, nil
}

// notYetInvited turns Slack's answers for a channel the bot is not in into
// notify.Held, so that the dispatcher holds the alerts until someone
// invites the bot, instead of failing them: not_in_channel, and
// channel_not_found, which is also all Slack says about a private channel
// the bot is not in. A mistyped channel name looks the same; it is held too,
// shown as held in status with what to check, and fails after
// delivery.hold_for. Other errors pass through unchanged.
func notYetInvited(target string, err error) error {
	var re *reasonError
	if !errors.As(err, &re) {
		return err
	}
	ch := target
	if !strings.HasPrefix(ch, "#") && !channelIDPattern.MatchString(ch) {
		ch = "#" + ch
	}
	var reason string
	switch re.code {
	case "not_in_channel":
		reason = fmt.Sprintf("the bot is not in the Slack channel %s yet: invite it there with /invite @ituwatch", ch)
	case "channel_not_found":
		reason = fmt.Sprintf("the bot cannot see the Slack channel %s: if it is private, invite the bot there with /invite @ituwatch; otherwise check the channel name in the routes", ch)
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
		// The bot token is fixed by people too (reinstall the app, set a
		// new token, restart); the alerts wait for it instead of failing.
		reason = re.reason + "; then restart ituwatch: the alerts wait until then"
	default:
		return err
	}
	return notify.Held(&reasonError{reason: reason, code: re.code, err: re.err})
}

// mayHavePosted says whether an earlier attempt could have reached Slack:
// a retry, or an alert older than this process (the dispatcher counts
// attempts only once they are recorded, so a crash right after Slack
// accepted the first attempt comes back as attempt 1), or one whose lease
// another instance took and never gave back: that instance may have been
// killed after posting an alert newer than this process.
func (c *Client) mayHavePosted(msg notify.Outgoing) bool {
	if msg.Attempt > 1 || msg.Interrupted {
		return true
	}
	created := msg.Alert.CreatedAt
	return created.IsZero() || created.Before(c.started)
}

// findPosted looks through the channel's recent messages (or the thread's
// replies, for an update) for one carrying msg's delivery id.
func (c *Client) findPosted(ctx context.Context, msg notify.Outgoing) (string, error) {
	channel, err := c.channelID(ctx, msg.Target)
	if err != nil {
		return "", err
	}
	oldest := ""
	if created := msg.Alert.CreatedAt; !created.IsZero() {
		oldest = slackTS(created.Add(-recoverySlack))
	}
	var msgs []slack.Message
	if msg.ThreadID != "" {
		msgs, _, _, err = c.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID:          channel,
			Timestamp:          msg.ThreadID,
			Limit:              recoveryHistoryLimit,
			Oldest:             oldest,
			IncludeAllMetadata: true,
		})
	} else {
		var h *slack.GetConversationHistoryResponse
		h, err = c.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID:          channel,
			Limit:              recoveryHistoryLimit,
			Oldest:             oldest,
			IncludeAllMetadata: true,
		})
		if h != nil {
			msgs = h.Messages
		}
	}
	if err != nil {
		return "", c.classify(msg.Target, "read history", err)
	}
	for _, m := range msgs {
		if m.Metadata.EventType == MetadataEventType && sameID(m.Metadata.EventPayload["delivery_id"], msg.DeliveryID) {
			return m.Timestamp, nil
		}
	}
	return "", nil
}

// sameID compares a metadata value, decoded from JSON as a number or a
// string, with an id.
func sameID(v any, id int64) bool {
	want := strconv.FormatInt(id, 10)
	switch x := v.(type) {
	case float64:
		return x == float64(id)
	case json.Number:
		return x.String() == want
	case string:
		return x == want
	case int64:
		return x == id
	case int:
		return int64(x) == id
	}
	return false
}

func slackTS(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10) + ".000000"
}
