package bot

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
)

// ConsoleNotifier prints alerts to a writer, as text for people or as JSON
// lines for scripts. It is the "console" platform of the dispatcher.
type ConsoleNotifier struct {
	mu        sync.Mutex // one alert is written whole before the next starts
	w         io.Writer
	jsonLines bool
}

// NewConsoleNotifier prints to w; jsonLines selects one JSON object per line
// instead of the text form.
func NewConsoleNotifier(w io.Writer, jsonLines bool) *ConsoleNotifier {
	return &ConsoleNotifier{w: w, jsonLines: jsonLines}
}

// Send writes the alert and returns "console-<delivery id>" as its id, so
// that updates of it have a thread id like on the other platforms.
func (c *ConsoleNotifier) Send(ctx context.Context, msg Outgoing) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var out []byte
	if c.jsonLines {
		j, err := FormatJSON(msg.Alert)
		if err != nil {
			return "", Permanent(err)
		}
		out = append(j, '\n')
	} else {
		// The "━━" header line already sets alerts apart.
		out = []byte(FormatText(msg.Alert) + "\n")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.w.Write(out); err != nil {
		return "", fmt.Errorf("print alert %d to the console: %w", msg.Alert.ID, err)
	}
	return "console-" + strconv.FormatInt(msg.DeliveryID, 10), nil
}
