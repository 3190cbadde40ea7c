// Package slack is ituwatch's Slack app: it posts alerts as Block Kit
// messages (a notify.Notifier) and answers /itu and @-mentions over Socket Mode.
// It is the only package that knows Slack.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/ituwatch/ituwatch/bot/notify"
)

// Options configure a Client. Tokens come from the environment
// (SLACK_BOT_TOKEN, SLACK_APP_TOKEN); the caller passes them in.
type Options struct {
	BotToken string // xoxb-…: posting and reading
	AppToken string // xapp-…: Socket Mode; only Listen needs it
	// APIURL replaces https://slack.com/api/ (Slack's government instance,
	// tests). Empty means Slack's default.
	APIURL string
	// Admins are Slack member ids (U0123ABCD) allowed to change channel
	// subscriptions, in addition to workspace admins and owners.
	Admins []string
	Logger *slog.Logger
	// MinInterval paces posts per channel (Slack allows about one message per
	// second per channel). Zero means 1s; negative turns pacing off.
	MinInterval time.Duration
	// PermalinkBase is the web view's address (web.base_url): with it, each
	// alert links its page there. Empty: no link.
	PermalinkBase string
}

// Client posts alerts to Slack and listens for commands.
type Client struct {
	api         *slack.Client
	http        *http.Client
	log         *slog.Logger
	tokens      []string
	appToken    string
	admins      map[string]bool
	minInterval time.Duration
	started     time.Time
	permalink   string // web.base_url, for render.ViewOptions

	// clock, replaced in tests
	now   func() time.Time
	after func(time.Duration) <-chan time.Time

	mu       sync.Mutex
	nextPost map[string]time.Time   // per target: earliest time of the next post
	channels map[string]string      // "#name" -> channel id
	listedAt time.Time              // last conversations.list
	userRole map[string]cachedAdmin // user id -> admin or not
	names    map[string]cachedName  // user id -> display name (claim.go)
}

type cachedAdmin struct {
	admin   bool
	expires time.Time
}

const (
	defaultMinInterval = time.Second
	httpTimeout        = 30 * time.Second
	adminCacheTTL      = 5 * time.Minute
	channelListMinAge  = time.Minute // do not relist more often when a name is missing
	channelListPages   = 50
	defaultRateWait    = 5 * time.Second // a 429 without Retry-After
)

// New checks the tokens and builds a Client; it makes no request.
func New(opts Options) (*Client, error) {
	var problems []string
	switch {
	case opts.BotToken == "":
		problems = append(problems, "the Slack bot token is empty: set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (it starts with xoxb-)")
	case !strings.HasPrefix(opts.BotToken, "xoxb-"):
		problems = append(problems, fmt.Sprintf("SLACK_BOT_TOKEN must be a bot token starting with xoxb- (this one starts with %q): copy the Bot User OAuth Token from the app's OAuth & Permissions page", tokenKind(opts.BotToken)))
	}
	if opts.AppToken != "" && !strings.HasPrefix(opts.AppToken, "xapp-") {
		problems = append(problems, fmt.Sprintf("SLACK_APP_TOKEN must be an app-level token starting with xapp- (this one starts with %q): create one under Basic Information → App-Level Tokens with the connections:write scope", tokenKind(opts.AppToken)))
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}

	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	interval := opts.MinInterval
	if interval == 0 {
		interval = defaultMinInterval
	}
	hc := &http.Client{Timeout: httpTimeout}
	apiOpts := []slack.Option{slack.OptionHTTPClient(hc)}
	if opts.APIURL != "" {
		u := opts.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/" // slack-go appends method names directly
		}
		apiOpts = append(apiOpts, slack.OptionAPIURL(u))
	}
	if opts.AppToken != "" {
		apiOpts = append(apiOpts, slack.OptionAppLevelToken(opts.AppToken))
	}
	admins := map[string]bool{}
	for _, a := range opts.Admins {
		if a = strings.TrimSpace(a); a != "" {
			admins[a] = true
		}
	}
	c := &Client{
		api:         slack.New(opts.BotToken, apiOpts...),
		http:        hc,
		log:         logger.With("platform", "slack"),
		appToken:    opts.AppToken,
		admins:      admins,
		minInterval: interval,
		permalink:   opts.PermalinkBase,
		now:         time.Now,
		after:       time.After,
		nextPost:    map[string]time.Time{},
		channels:    map[string]string{},
		userRole:    map[string]cachedAdmin{},
	}
	c.started = c.now()
	for _, t := range []string{opts.BotToken, opts.AppToken} {
		if t != "" {
			c.tokens = append(c.tokens, t)
		}
	}
	return c, nil
}

// tokenKind is the part of a token that says what it is, safe to show.
func tokenKind(t string) string {
	if i := strings.IndexByte(t, '-'); i > 0 && i <= 5 {
		return t[:i+1]
	}
	if len(t) > 4 {
		return t[:4]
	}
	return t
}

// pace waits until target may receive another post, holding its slot.
func (c *Client) pace(ctx context.Context, target string) error {
	if c.minInterval < 0 {
		return nil
	}
	c.mu.Lock()
	now := c.now()
	at := c.nextPost[target]
	if at.Before(now) {
		at = now
	}
	c.nextPost[target] = at.Add(c.minInterval)
	c.mu.Unlock()
	wait := at.Sub(now)
	if wait <= 0 {
		return nil
	}
	select {
	case <-c.after(wait):
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait to post to slack %s: %w", target, ctx.Err())
	}
}

// holdOff keeps every post to target back until Slack's Retry-After passed.
func (c *Client) holdOff(target string, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := c.now().Add(d); until.After(c.nextPost[target]) {
		c.nextPost[target] = until
	}
}

var channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)

// channelID returns the id for a target written as an id or as a name
// ("#itu-alerts" or "itu-alerts"). Names are looked up with conversations.list
// and cached; only the recovery check needs ids, since chat.postMessage
// accepts names.
func (c *Client) channelID(ctx context.Context, target string) (string, error) {
	if channelIDPattern.MatchString(target) {
		return target, nil
	}
	name := strings.TrimPrefix(target, "#")
	c.mu.Lock()
	id, ok := c.channels[name]
	fresh := c.now().Sub(c.listedAt) < channelListMinAge
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	if !fresh {
		if err := c.listChannels(ctx); err != nil {
			return "", c.classify(target, "look up channel", err)
		}
		c.mu.Lock()
		id, ok = c.channels[name]
		c.mu.Unlock()
		if ok {
			return id, nil
		}
	}
	return "", notify.Permanent(&reasonError{
		reason: fmt.Sprintf("no Slack channel named #%s is visible to the bot: check the name in the routes, and for a private channel invite the bot with /invite @ituwatch", name),
		code:   "channel_not_found",
	})
}

func (c *Client) listChannels(ctx context.Context) error {
	found := map[string]string{}
	cursor := ""
	for page := 0; page < channelListPages; page++ {
		chans, next, err := c.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
			Cursor:          cursor,
			ExcludeArchived: true,
			Limit:           200,
			Types:           []string{"public_channel", "private_channel"},
		})
		if err != nil {
			return err
		}
		for _, ch := range chans {
			found[ch.Name] = ch.ID
		}
		if next == "" {
			break
		}
		cursor = next
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, id := range found {
		c.channels[name] = id
	}
	c.listedAt = c.now()
	return nil
}

// rememberChannel records the id Slack answered for a posted-to name.
func (c *Client) rememberChannel(target, id string) {
	if id == "" || channelIDPattern.MatchString(target) {
		return
	}
	c.mu.Lock()
	c.channels[strings.TrimPrefix(target, "#")] = id
	c.mu.Unlock()
}

// reasonError is a Slack refusal explained for the people who can fix it.
type reasonError struct {
	reason string
	code   string
	err    error
}

func (e *reasonError) Error() string {
	if e.code == "" {
		return e.reason
	}
	return e.reason + " (Slack said " + e.code + ")"
}
func (e *reasonError) Unwrap() error { return e.err }

// permanentReason explains the Slack error codes that no retry can fix, or
// returns "" for the others.
func permanentReason(code, target, needed string) string {
	ch := target
	if !strings.HasPrefix(ch, "#") && !channelIDPattern.MatchString(ch) {
		ch = "#" + ch
	}
	switch code {
	case "channel_not_found":
		return fmt.Sprintf("Slack channel %s was not found, or it is private and the bot is not in it: check the channel in the routes, or invite the bot with /invite @ituwatch", ch)
	case "not_in_channel":
		return fmt.Sprintf("the bot is not in %s: invite it with /invite @ituwatch", ch)
	case "is_archived":
		return fmt.Sprintf("Slack channel %s is archived: unarchive it or route alerts elsewhere", ch)
	case "invalid_auth", "not_authed":
		return "Slack rejected the bot token: check SLACK_BOT_TOKEN (the Bot User OAuth Token, starting with xoxb-)"
	case "account_inactive":
		return "the Slack app's bot user is deactivated or the app was removed: reinstall the app and update SLACK_BOT_TOKEN"
	case "token_revoked", "token_expired":
		return "the Slack bot token was revoked: reinstall the app and update SLACK_BOT_TOKEN"
	case "missing_scope":
		scope := needed
		if scope == "" {
			scope = "a scope listed in docs/slack.md"
		}
		return fmt.Sprintf("the Slack app lacks the permission %s: add it under OAuth & Permissions → Bot Token Scopes, reinstall the app and update SLACK_BOT_TOKEN", scope)
	case "msg_too_long", "invalid_blocks", "invalid_blocks_format", "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large", "too_many_attachments":
		return "Slack refused the message format; this is a bug in ituwatch, please report it with the alert id"
	case "restricted_action", "restricted_action_read_only_channel", "restricted_action_thread_only_channel", "restricted_action_non_threadable_channel", "ekm_access_denied", "team_access_not_granted", "no_permission":
		return fmt.Sprintf("the workspace does not let the bot post in %s: ask a Slack admin to allow it, or route alerts elsewhere", ch)
	}
	return ""
}

// classify turns a Slack client error into what the dispatcher acts on:
// a RetryAfterError for rate limits, a Permanent error with a readable reason
// for refusals no retry can fix, a plain error (retried with backoff) for
// network trouble and Slack's own failures.
func (c *Client) classify(target, doing string, err error) error {
	if err == nil {
		return nil
	}
	err = c.scrub(err)
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		c.holdOff(target, rl.RetryAfter)
		return &notify.RetryAfterError{After: rl.RetryAfter, Err: fmt.Errorf("%s in slack %s: %w", doing, target, err)}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests {
		c.holdOff(target, defaultRateWait)
		return &notify.RetryAfterError{After: defaultRateWait, Err: fmt.Errorf("%s in slack %s: %w", doing, target, err)}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		if reason := permanentReason(se.Err, target, se.Needed); reason != "" {
			return notify.Permanent(&reasonError{reason: reason, code: se.Err, err: err})
		}
		if se.Err == "ratelimited" {
			c.holdOff(target, defaultRateWait)
			return &notify.RetryAfterError{After: defaultRateWait, Err: fmt.Errorf("%s in slack %s: %w", doing, target, err)}
		}
	}
	return fmt.Errorf("%s in slack %s: %w", doing, target, err)
}

// scrub makes sure no token ends up in an error message or a log line.
// slack-go sends tokens in bodies and headers, never in URLs, so this is a
// guard against future changes, not a filter on every error.
func (c *Client) scrub(err error) error {
	return notify.Redact(err, c.tokens, func(t string) string { return tokenKind(t) + "[redacted]" })
}
