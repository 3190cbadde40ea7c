package matrix

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/bot/render"
)

// Send posts one alert as an m.notice. An update (ThreadID set) goes into the
// thread of the first alert's event. The transaction id is derived from the
// delivery, so a retry after a crash between the homeserver accepting the
// event and the store recording it is deduplicated by the homeserver instead
// of posting twice.
func (c *Client) Send(ctx context.Context, msg notify.Outgoing) (string, error) {
	if strings.TrimSpace(msg.Target) == "" {
		return "", notify.Permanent(errors.New("matrix destination without a room: write it as matrix:!roomid:example.org or matrix:#alias:example.org"))
	}
	room, err := c.roomID(ctx, msg.Target)
	if err != nil {
		return "", err
	}
	content := alertContent(render.NewAlertView(msg.Alert, render.ViewOptions{Explained: msg.Explained, CommandPrefix: CommandPrefix + " ", PermalinkBase: c.permalink}))
	if msg.ThreadID != "" {
		root := id.EventID(msg.ThreadID)
		content.RelatesTo = &event.RelatesTo{
			Type:          event.RelThread,
			EventID:       root,
			IsFallingBack: true,
			InReplyTo:     &event.InReplyTo{EventID: root},
		}
	}
	txn := transactionID(msg, room)
	resp, err := c.cli.SendMessageEvent(ctx, room, event.EventMessage, content, mautrix.ReqSendEvent{TransactionID: txn})
	if err != nil {
		if errCode(err) == "M_FORBIDDEN" {
			return "", c.notAllowedYet(ctx, msg.Target, room, err)
		}
		return "", c.classify(msg.Target, "send alert "+strconv.FormatInt(msg.Alert.ID, 10), err)
	}
	c.log.Debug("alert posted to matrix", "room", room, "alert", msg.Alert.ID, "delivery", msg.DeliveryID, "attempt", msg.Attempt)
	return string(resp.EventID), nil
}

// notAllowedYet explains a send refused with M_FORBIDDEN, which is what a
// homeserver answers while the bot is not in the room (not invited yet, or
// invited by someone whose invitations it does not accept) and while its
// power level is below what the room asks for messages. Both are fixed by
// people, after which the alerts should still arrive: the error is
// notify.Held, so the dispatcher holds them. Whether the bot is in the
// room decides which fix the reason asks for.
func (c *Client) notAllowedYet(ctx context.Context, target string, room id.RoomID, err error) error {
	err = c.scrub(err)
	reason := fmt.Sprintf("the bot may not post in the Matrix room %s yet: invite it to the room, or if it is in, raise its power level so that it may send messages", target)
	if joined, jerr := c.cli.JoinedRooms(ctx); jerr == nil && joined != nil {
		in := false
		for _, r := range joined.JoinedRooms {
			if r == room {
				in = true
				break
			}
		}
		if in {
			reason = fmt.Sprintf("the bot is in the Matrix room %s but may not post there: raise its power level (room Settings → Roles & Permissions) to what the room asks for messages", target)
		} else {
			reason = fmt.Sprintf("the bot is not in the Matrix room %s yet: invite it from an account in matrix.allowed_users or on an allowed homeserver (it joins by itself)", target)
		}
	}
	return notify.Held(&reasonError{reason: reason, err: err})
}

// transactionID is stable for one delivery across attempts and restarts.
// Deliveries without an id (tests, ad-hoc sends) fall back to the alert and
// the room, which is as stable.
func transactionID(msg notify.Outgoing, room id.RoomID) string {
	if msg.DeliveryID > 0 {
		return "itu-d" + strconv.FormatInt(msg.DeliveryID, 10)
	}
	h := sha256.Sum256([]byte(string(room)))
	return "itu-a" + strconv.FormatInt(msg.Alert.ID, 10) + "-" + hex.EncodeToString(h[:6])
}

// roomID resolves a target to a room id; aliases are looked up once through
// the room directory and cached.
func (c *Client) roomID(ctx context.Context, target string) (id.RoomID, error) {
	target = strings.TrimSpace(target)
	switch {
	case strings.HasPrefix(target, "!"):
		return id.RoomID(target), nil
	case strings.HasPrefix(target, "#"):
	case strings.HasPrefix(target, "@"):
		return c.directRoom(ctx, target)
	default:
		return "", notify.Permanent(fmt.Errorf("matrix room %q is neither a room id (!…:server) nor an alias (#…:server): copy it from the room's settings, under Advanced", target))
	}
	c.mu.Lock()
	room, ok := c.aliases[target]
	c.mu.Unlock()
	if ok {
		return room, nil
	}
	resp, err := c.cli.ResolveAlias(ctx, id.RoomAlias(target))
	if err != nil {
		if errors.Is(err, mautrix.MNotFound) {
			return "", notify.Permanent(&reasonError{
				reason: fmt.Sprintf("the matrix room alias %s does not exist: check it in the routes, or use the room id from the room's settings (Advanced)", target),
				err:    c.scrub(err),
			})
		}
		return "", c.classify(target, "look up room alias", err)
	}
	c.mu.Lock()
	c.aliases[target] = resp.RoomID
	c.mu.Unlock()
	return resp.RoomID, nil
}

// reasonError is a homeserver refusal explained for the people who can fix it.
type reasonError struct {
	reason string
	err    error
}

func (e *reasonError) Error() string {
	code := errCode(e.err)
	if code == "" {
		return e.reason
	}
	return e.reason + " (Matrix said " + code + ")"
}
func (e *reasonError) Unwrap() error { return e.err }

func errCode(err error) string {
	var he mautrix.HTTPError
	if errors.As(err, &he) && he.RespError != nil {
		return he.RespError.ErrCode
	}
	var re mautrix.RespError
	if errors.As(err, &re) {
		return re.ErrCode
	}
	return ""
}

// classify turns a mautrix error into what the dispatcher acts on: a
// RetryAfterError for M_LIMIT_EXCEEDED, a Permanent error with a readable
// reason for refusals no retry can fix, and a plain error (retried with
// backoff) for network trouble and the homeserver's own failures.
func (c *Client) classify(target, doing string, err error) error {
	if err == nil {
		return nil
	}
	err = c.scrub(err)
	var he mautrix.HTTPError
	status := 0
	if errors.As(err, &he) && he.Response != nil {
		status = he.Response.StatusCode
	}
	code := errCode(err)
	switch {
	case code == "M_LIMIT_EXCEEDED" || status == http.StatusTooManyRequests:
		return &notify.RetryAfterError{After: retryAfter(he), Err: fmt.Errorf("%s in matrix %s: %w", doing, target, err)}
	case code == "M_FORBIDDEN":
		return notify.Permanent(&reasonError{reason: fmt.Sprintf("the bot is not allowed to post in %s: invite it or raise its power level", target), err: err})
	case code == "M_NOT_FOUND" || (status == http.StatusNotFound && code != "M_UNRECOGNIZED"):
		return notify.Permanent(&reasonError{reason: fmt.Sprintf("the homeserver does not know the room %s: check the room id in the routes (room settings → Advanced)", target), err: err})
	case code == "M_UNKNOWN_TOKEN" || code == "M_MISSING_TOKEN":
		// A revoked token is fixed by people (a new token, or the password
		// login logging in again), after which the alerts should still
		// arrive: hold them rather than fail them.
		return notify.Held(&reasonError{reason: "the homeserver no longer accepts the bot's access token: create a new one (docs/matrix.md), set MATRIX_ACCESS_TOKEN and restart; the alerts wait until then", err: err})
	case code == "M_TOO_LARGE" || code == "M_BAD_JSON" || code == "M_NOT_JSON" || code == "M_UNRECOGNIZED":
		return notify.Permanent(&reasonError{reason: "the homeserver refused the message format; this is a bug in ituwatch, please report it with the alert id", err: err})
	}
	return fmt.Errorf("%s in matrix %s: %w", doing, target, err)
}

// retryAfter reads the wait from retry_after_ms (the spec's field) or the
// Retry-After header, falling back to a default.
func retryAfter(he mautrix.HTTPError) time.Duration {
	if he.RespError != nil {
		if ms, ok := he.RespError.ExtraData["retry_after_ms"].(float64); ok && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	if he.Response != nil {
		if s, err := strconv.Atoi(he.Response.Header.Get("Retry-After")); err == nil && s > 0 {
			return time.Duration(s) * time.Second
		}
	}
	return defaultRateWait
}
