package matrix

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/ituwatch/ituwatch/bot/notify"
)

// directRoom returns the bot's direct-message room with a user, the
// target of a follow's alerts ("matrix:@alice:example.org"): the room the
// bot's m.direct account data names for them, or else a new private room
// created with is_direct and the user invited, then recorded in m.direct
// so that every client shows it as a DM and later alerts use it. The room
// is cached for the process. A crash between creating the room and
// recording it leaves an unused room; the next alert creates another.
func (c *Client) directRoom(ctx context.Context, target string) (id.RoomID, error) {
	user := id.UserID(target)
	if _, _, err := user.Parse(); err != nil || !strings.HasPrefix(target, "@") {
		return "", notify.Permanent(fmt.Errorf("%q is not a Matrix user id (@name:server); a follow's messages go to matrix:@name:server", target))
	}
	c.mu.Lock()
	room, ok := c.aliases[target]
	c.mu.Unlock()
	if ok {
		return room, nil
	}
	direct := event.DirectChatsEventContent{}
	if err := c.cli.GetAccountData(ctx, event.AccountDataDirectChats.Type, &direct); err != nil && !errors.Is(err, mautrix.MNotFound) {
		return "", c.classify(target, "read the bot's direct rooms", err)
	}
	if rooms := direct[user]; len(rooms) > 0 {
		room = rooms[len(rooms)-1]
	} else {
		resp, err := c.cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{
			Preset:   "trusted_private_chat",
			IsDirect: true,
			Invite:   []id.UserID{user},
			Name:     "ituwatch",
			Topic:    "What you follow on ituwatch; unfollow in any room with !itu unfollow.",
		})
		if err != nil {
			return "", c.classify(target, "create a direct room", err)
		}
		room = resp.RoomID
		direct[user] = append(direct[user], room)
		if err := c.cli.SetAccountData(ctx, event.AccountDataDirectChats.Type, direct); err != nil {
			// The room exists and the user is invited: send anyway; only
			// clients will not list it among direct messages.
			c.log.Warn("could not record the direct room in m.direct", "room", room, "err", c.scrub(err))
		}
		c.log.Info("direct room created for a follow", "room", room)
	}
	c.mu.Lock()
	c.aliases[target] = room
	c.mu.Unlock()
	return room, nil
}
