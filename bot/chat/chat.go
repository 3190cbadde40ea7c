// Package chat answers people's commands, whatever the platform: a
// platform adapter (bot/slack, bot/matrix, or the terminal here) turns a
// message into a Request, hands it to a Handler, and lays out the Reply in
// its own markup. The Router is the Handler; it reads the store through
// Queries. The Supervisor keeps each platform's listener running.
package chat

import (
	"context"

	"github.com/ituwatch/ituwatch/bot/render"
)

// Handler answers chat commands; the Router is one. Listeners take a
// Handler so that cmd/ituwatch can wrap the router (to count commands).
type Handler interface {
	Handle(ctx context.Context, req Request) Reply
}

// Once is implemented by a Handler that several instances of ituwatch
// share through one store: a listener asks it before answering an event,
// by the platform's id for it, and answers only if it is the first to ask.
// A platform that hands one event to any of several connections, or again
// when it thinks the first did not take it, gets one answer.
type Once interface {
	FirstAnswer(ctx context.Context, eventID string) bool
}

// Request is one chat command as a platform adapter received it.
type Request struct {
	Text     string // the command without its prefix: "recent new-ip 5"
	Platform string // console, slack, matrix
	Channel  string // destination target where it was asked: Slack channel id, Matrix room id
	User     string // platform user id of the asker
	// UserName is the asker's display name where the adapter knows it,
	// shown by claim and done instead of a mention, which would ping them.
	UserName string
	// CanAdmin is set by the adapter when the asker may change subscriptions
	// (a configured admin, a workspace admin, power level >= 50).
	CanAdmin bool
}

// Reply is a platform-neutral answer. Adapters render it in their markup and
// escape every string in it: replies quote feed text.
type Reply struct {
	Title  string      // one line, e.g. "Recent alerts on new-ip"
	Lines  []ReplyLine // the body, in order
	Footer string      // a hint, e.g. "try: recent new-ip 10"
	Error  bool        // the command could not be done; Title says why
}

// ReplyLine is one entry of a reply: a text, optionally linked, with a note.
type ReplyLine struct {
	Text string // main text, e.g. an item title
	URL  string // link for Text, if any
	Note string // secondary text: source, date, topics, alert id
	// Quote is words from the item, the ones that matched marked; shown
	// after Note, each surface emphasising the hits its own way.
	Quote render.Highlight
}
