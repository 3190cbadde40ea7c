package chat

import (
	"context"
	"fmt"
	"strings"
)

// help lists the commands, from the table the router dispatches on.

func commandNames() []string {
	out := make([]string, len(commands))
	for i, c := range commands {
		out[i] = c.name
	}
	return out
}

func (r *Router) help(_ context.Context, _ Request, _ []string) Reply {
	reply := Reply{Title: "ituwatch commands"}
	for _, c := range commands {
		usage := c.name
		if c.args != "" {
			usage += " " + c.args
		}
		about := c.about
		if c.admin {
			about += " (admins)"
		}
		reply.Lines = append(reply.Lines, ReplyLine{Text: usage, Note: about})
	}
	reply.Footer = fmt.Sprintf("ituwatch %s · topics: %s", r.version, strings.Join(r.topicIDs(), ", "))
	return reply
}
