package notify

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

	"github.com/ituwatch/ituwatch/bot/render"
)

// ConsoleNotifier prints alerts to a writer, as text for people or as JSON
// lines for scripts. It is the "console" platform of the dispatcher.
type ConsoleNotifier struct {
	mu        sync.Mutex // one alert is written whole before the next starts
	w         io.Writer
	jsonLines bool
	bold      bool // w is a terminal that allows colour
	permalink string
}

// NewConsoleNotifier prints to w; jsonLines selects one JSON object per line
// instead of the text form. Matched words are in bold when w is a terminal
// and NO_COLOR is not set.
func NewConsoleNotifier(w io.Writer, jsonLines bool) *ConsoleNotifier {
	return &ConsoleNotifier{w: w, jsonLines: jsonLines, bold: render.TerminalBold(w, os.LookupEnv)}
}

// WithPermalinks has every alert end with a link to its page in the web
// view at base (web.base_url); "" shows none.
func (c *ConsoleNotifier) WithPermalinks(base string) *ConsoleNotifier {
	c.permalink = base
	return c
}

// Send writes the alert and returns "console-<delivery id>" as its id, so
// that updates of it have a thread id like on the other platforms.
func (c *ConsoleNotifier) Send(ctx context.Context, msg Outgoing) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var out []byte
	if c.jsonLines {
		j, err := render.FormatJSONWith(msg.Alert, render.JSONOptions{PermalinkBase: c.permalink})
		if err != nil {
			return "", Permanent(err)
		}
		out = append(j, '\n')
	} else {
		// The "━━" header line already sets alerts apart.
		v := render.NewAlertView(msg.Alert, render.ViewOptions{Explained: msg.Explained, PermalinkBase: c.permalink})
		out = []byte(render.Text(v, render.TextOptions{Bold: c.bold}) + "\n")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.w.Write(out); err != nil {
		return "", fmt.Errorf("print alert %d to the console: %w", msg.Alert.ID, err)
	}
	return "console-" + strconv.FormatInt(msg.DeliveryID, 10), nil
}
