// Package matrix is ituwatch's Matrix bot: it posts alerts as m.notice events
// (a notify.Notifier) and answers !itu commands from a sync loop, with optional
// end-to-end encryption through mautrix's crypto helper. It is the only
// package that knows Matrix.
package matrix

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/notify"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// StateStore keeps the adapter's small state across restarts: the sync
// position, and the device and token of a password login. *store.Store is one.
type StateStore interface {
	GetState(ctx context.Context, key string) (string, bool, error)
	SetState(ctx context.Context, key, value string) error
}

// Keys under which the adapter keeps its state.
const (
	stateDeviceID    = "matrix.device_id"
	stateAccessToken = "matrix.access_token"
	stateUserID      = "matrix.user_id"
	stateNextBatch   = "matrix.next_batch"
	stateFilterID    = "matrix.filter_id"
)

// Options configure a Client. The access token or password comes from the
// environment (MATRIX_ACCESS_TOKEN, MATRIX_PASSWORD); the caller passes it in.
type Options struct {
	// Homeserver is the client-server API base URL, e.g.
	// "https://matrix.example.org". A bare host name gets https://.
	Homeserver string
	// UserID is the bot's full user id (@ituwatch:example.org). Required for a
	// password login; with an access token it is checked against whoami.
	UserID      string
	AccessToken string
	// Password is used once: the device id and access token the login returns
	// are kept in State and reused on the next start.
	Password string
	// DeviceID pins the device of a password login; empty lets the homeserver
	// choose (or reuses the one kept in State).
	DeviceID string
	// AllowedUsers and AllowedHomeservers decide whose invites the bot
	// accepts. Both empty: only users of the bot's own homeserver.
	AllowedUsers       []string
	AllowedHomeservers []string
	// Admins may change subscriptions in any room, in addition to users with
	// power level 50 or more in the room where they ask.
	Admins []string
	// Encryption turns on end-to-end encryption (needs a -tags goolm build).
	Encryption bool
	// PickleKey encrypts the bot's olm keys at rest in the database.
	PickleKey string
	State     StateStore
	// DB is the store's database; with Encryption the crypto store keeps its
	// tables in it.
	DB *sql.DB
	// DBDialect is DB's SQL dialect: "sqlite" (also when empty) or
	// "postgres"; the crypto store writes its tables in either.
	DBDialect string
	Logger    *slog.Logger
	// HTTPClient replaces the default client (tests). Its timeout must exceed
	// the 30 s sync long poll.
	HTTPClient *http.Client
	// PermalinkBase is the web view's address (web.base_url): with it, each
	// alert links its page there. Empty: no link.
	PermalinkBase string
}

// Client posts alerts to Matrix rooms and listens for commands.
type Client struct {
	cli        *mautrix.Client
	syncer     *syncer
	log        *slog.Logger
	state      StateStore
	secrets    []string
	encryption bool
	self       id.UserID
	server     string // the bot's homeserver name, from its user id
	permalink  string // web.base_url, for render.ViewOptions

	allowedUsers   map[string]bool
	allowedServers map[string]bool
	admins         map[string]bool

	now func() time.Time

	mu        sync.Mutex
	handler   chat.Handler         // set by Listen
	aliases   map[string]id.RoomID // "#alias:server" -> room id
	power     map[id.RoomID]cachedPower
	encrypted map[id.RoomID]bool // rooms seen encrypted while encryption is off
	problems  []string
}

type cachedPower struct {
	levels  *powerLevels
	expires time.Time
}

const (
	httpTimeout      = 90 * time.Second // above the 30 s sync long poll
	powerCacheTTL    = time.Minute
	defaultRateWait  = 5 * time.Second // M_LIMIT_EXCEEDED without retry_after_ms
	deviceName       = "ituwatch"
	errNoCryptoBuild = "this ituwatch binary was built without end-to-end encryption; rebuild with -tags goolm, or set matrix.encryption.enabled: false"
)

// New checks the options and logs in: with an access token it asks the
// homeserver who the token belongs to; with a password it logs in once and
// keeps the device id and token in State, reusing them on later starts. With
// Encryption it also sets up the crypto store in Options.DB.
func New(ctx context.Context, opts Options) (*Client, error) {
	var problems []string
	if strings.TrimSpace(opts.Homeserver) == "" {
		problems = append(problems, "the Matrix homeserver is empty: set matrix.homeserver to its address, e.g. https://matrix.example.org")
	}
	if opts.AccessToken == "" && opts.Password == "" {
		problems = append(problems, "no Matrix credentials: set MATRIX_ACCESS_TOKEN to the bot account's access token (or MATRIX_PASSWORD with matrix.user_id for a one-time login), see docs/matrix.md")
	}
	if opts.AccessToken == "" && opts.Password != "" && opts.UserID == "" {
		problems = append(problems, "a password login needs the bot's user id: set matrix.user_id, e.g. @ituwatch:example.org")
	}
	if opts.UserID != "" {
		if _, _, err := id.UserID(opts.UserID).Parse(); err != nil {
			problems = append(problems, fmt.Sprintf("matrix.user_id %q is not a Matrix user id: write it in full, e.g. @ituwatch:example.org", opts.UserID))
		}
	}
	if opts.State == nil {
		problems = append(problems, "the Matrix adapter needs the store for its sync position (internal wiring error)")
	}
	if opts.Encryption {
		if opts.PickleKey == "" {
			problems = append(problems, "matrix.encryption.enabled is true but the pickle key is empty: set MATRIX_PICKLE_KEY to a long random secret and keep it; it protects the bot's encryption keys in the database")
		}
		if opts.DB == nil {
			problems = append(problems, "matrix encryption needs the store's database (internal wiring error)")
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}

	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	hs := strings.TrimRight(strings.TrimSpace(opts.Homeserver), "/")
	if !strings.Contains(hs, "://") {
		hs = "https://" + hs
	}
	cli, err := mautrix.NewClient(hs, id.UserID(opts.UserID), opts.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("matrix.homeserver %q is not a valid address (%v): write it like https://matrix.example.org", opts.Homeserver, err)
	}
	if opts.HTTPClient != nil {
		cli.Client = opts.HTTPClient
	} else {
		cli.Client = &http.Client{Timeout: httpTimeout}
	}
	// The dispatcher owns retries and waits: mautrix must neither sleep on
	// 429 nor resend on its own.
	cli.DefaultHTTPRetries = 0
	cli.IgnoreRateLimit = true
	cli.UserAgent = "ituwatch (mautrix-go)"

	c := &Client{
		cli:            cli,
		log:            logger.With("platform", "matrix"),
		state:          opts.State,
		encryption:     opts.Encryption,
		allowedUsers:   set(opts.AllowedUsers),
		allowedServers: set(opts.AllowedHomeservers),
		admins:         set(opts.Admins),
		permalink:      opts.PermalinkBase,
		now:            time.Now,
		aliases:        map[string]id.RoomID{},
		power:          map[id.RoomID]cachedPower{},
		encrypted:      map[id.RoomID]bool{},
	}
	for _, s := range []string{opts.AccessToken, opts.Password, opts.PickleKey} {
		if s != "" {
			c.secrets = append(c.secrets, s)
		}
	}
	c.syncer = newSyncer(c)
	cli.Syncer = c.syncer
	cli.Store = &syncStore{state: opts.State}

	if err := c.login(ctx, opts); err != nil {
		return nil, err
	}
	c.self = cli.UserID
	_, c.server, _ = c.self.Parse()
	if opts.Encryption {
		if err := c.initCrypto(ctx, opts); err != nil {
			return nil, c.scrub(err)
		}
	}
	return c, nil
}

func set(list []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range list {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			m[s] = true
		}
	}
	return m
}

func (c *Client) login(ctx context.Context, opts Options) error {
	if opts.AccessToken != "" {
		who, err := c.cli.Whoami(ctx)
		if err != nil {
			return c.authError("check the bot's access token (whoami)", err)
		}
		if opts.UserID != "" && !strings.EqualFold(string(who.UserID), opts.UserID) {
			return fmt.Errorf("MATRIX_ACCESS_TOKEN belongs to %s, but matrix.user_id is %s: use the bot account's token or fix matrix.user_id", who.UserID, opts.UserID)
		}
		c.cli.UserID, c.cli.DeviceID = who.UserID, who.DeviceID
		c.log.Info("logged in to matrix with an access token", "user", who.UserID, "device", who.DeviceID)
		return nil
	}

	// A password login once; afterwards the kept token is reused, so the
	// account does not collect a new device at every start.
	token, hasToken, err := c.state.GetState(ctx, stateAccessToken)
	if err != nil {
		return fmt.Errorf("read the kept matrix login: %w", err)
	}
	device, _, err := c.state.GetState(ctx, stateDeviceID)
	if err != nil {
		return fmt.Errorf("read the kept matrix login: %w", err)
	}
	keptUser, _, err := c.state.GetState(ctx, stateUserID)
	if err != nil {
		return fmt.Errorf("read the kept matrix login: %w", err)
	}
	if hasToken && token != "" && (keptUser == "" || strings.EqualFold(keptUser, opts.UserID)) {
		c.cli.AccessToken = token
		c.secrets = append(c.secrets, token)
		who, err := c.cli.Whoami(ctx)
		if err == nil {
			c.cli.UserID, c.cli.DeviceID = who.UserID, who.DeviceID
			c.log.Info("logged in to matrix with the kept token", "user", who.UserID, "device", who.DeviceID)
			return nil
		}
		if !errors.Is(err, mautrix.MUnknownToken) {
			return c.authError("check the kept matrix login", err)
		}
		c.log.Warn("the kept matrix token was revoked; logging in again with the password", "user", opts.UserID)
		c.cli.AccessToken = ""
	}
	if opts.DeviceID != "" {
		device = opts.DeviceID
	}
	if keptUser != "" && !strings.EqualFold(keptUser, opts.UserID) {
		device = opts.DeviceID // another account's device cannot be reused
	}
	resp, err := c.cli.Login(ctx, &mautrix.ReqLogin{
		Type:                     mautrix.AuthTypePassword,
		Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: opts.UserID},
		Password:                 opts.Password,
		DeviceID:                 id.DeviceID(device),
		InitialDeviceDisplayName: deviceName,
		StoreCredentials:         true,
	})
	if err != nil {
		return c.authError("log in to matrix as "+opts.UserID, err)
	}
	c.secrets = append(c.secrets, resp.AccessToken)
	for _, kv := range [][2]string{{stateUserID, string(resp.UserID)}, {stateDeviceID, string(resp.DeviceID)}, {stateAccessToken, resp.AccessToken}} {
		if err := c.state.SetState(ctx, kv[0], kv[1]); err != nil {
			return fmt.Errorf("keep the matrix login: %w", err)
		}
	}
	c.log.Info("logged in to matrix with the password; the token is kept for later starts", "user", resp.UserID, "device", resp.DeviceID)
	return nil
}

// authError explains a failed login or token check.
func (c *Client) authError(doing string, err error) error {
	err = c.scrub(err)
	switch {
	case errors.Is(err, mautrix.MUnknownToken), errors.Is(err, mautrix.MMissingToken):
		return fmt.Errorf("%s: the homeserver does not accept the access token (it may have been logged out); create a new one as docs/matrix.md shows, set MATRIX_ACCESS_TOKEN and restart ituwatch: %w", doing, err)
	case errors.Is(err, mautrix.MForbidden):
		return fmt.Errorf("%s: the homeserver refused the user id or password; check matrix.user_id and MATRIX_PASSWORD: %w", doing, err)
	case errors.Is(err, mautrix.MUserDeactivated):
		return fmt.Errorf("%s: the bot account is deactivated; reactivate it or register a new one: %w", doing, err)
	case errors.Is(err, mautrix.MLimitExceeded):
		return fmt.Errorf("%s: the homeserver is rate limiting logins; wait a minute and start again: %w", doing, err)
	}
	var he mautrix.HTTPError
	if errors.As(err, &he) && he.Response == nil {
		return fmt.Errorf("%s: cannot reach the homeserver; check matrix.homeserver and the network: %w", doing, err)
	}
	if errors.As(err, &he) && he.Response.StatusCode >= 500 {
		return fmt.Errorf("%s: the homeserver answered HTTP %d: it is down or restarting; ituwatch retries on its own", doing, he.Response.StatusCode)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// Problems lists what keeps the adapter from working fully, for `status`:
// rooms that are encrypted while encryption is off.
func (c *Client) Problems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]string(nil), c.problems...)
	sort.Strings(out)
	return out
}

// noteEncryptedRoom records, once per room, that the bot cannot read a room
// because it is encrypted and encryption is off.
func (c *Client) noteEncryptedRoom(room id.RoomID) {
	if c.encryption {
		return
	}
	c.mu.Lock()
	if c.encrypted[room] {
		c.mu.Unlock()
		return
	}
	c.encrypted[room] = true
	c.problems = append(c.problems, fmt.Sprintf("room %s is encrypted but matrix.encryption.enabled is false: alerts there can't be read; enable it (needs a -tags goolm build)", room))
	c.mu.Unlock()
	c.log.Warn("matrix room is end-to-end encrypted but encryption is off: commands there cannot be read and alerts are sent unencrypted; enable matrix.encryption (needs a -tags goolm build)", "room", room)
}

// scrub makes sure no token, password or pickle key ends up in an error
// message or a log line, whatever mautrix put into the error.
func (c *Client) scrub(err error) error {
	return notify.Redact(err, c.secrets, func(string) string { return "[redacted]" })
}
