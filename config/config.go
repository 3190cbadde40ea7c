package config

import (
	"encoding/json"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// Config is the effective configuration: defaults applied, ${ENV} expanded,
// rule pack paths absolute.
type Config struct {
	File    string   `yaml:"-" json:"-"` // the file it was read from; "" for Default
	Store   Store    `yaml:"store" json:"store"`
	HTTP    HTTP     `yaml:"http" json:"http"`
	Sources []Source `yaml:"sources" json:"sources"`
	Rules   Rules    `yaml:"rules" json:"rules"`
	Routes  []Route  `yaml:"routes" json:"routes"`
	Alerts  Alerts   `yaml:"alerts" json:"alerts"`
	Slack   *Slack   `yaml:"slack,omitempty" json:"slack,omitempty"`   // nil when the file has no slack section
	Matrix  *Matrix  `yaml:"matrix,omitempty" json:"matrix,omitempty"` // nil when the file has no matrix section
	Metrics Metrics  `yaml:"metrics" json:"metrics"`
	// Web is the read-only web view (web.go); off unless web.listen is set.
	Web Web `yaml:"web,omitempty" json:"web,omitempty"`
	// Delivery: how long alerts wait for the bot to be invited (hold_for).
	Delivery Delivery `yaml:"delivery" json:"delivery"`
	// Warnings are doubtful but workable settings (a secret written in the
	// file, metrics open to the network); callers show them and carry on.
	Warnings []Problem `yaml:"-" json:"-"`
	// lines maps field paths ("routes[1].topics[0]") to where the file
	// writes them, for the checks that run after Parse.
	lines map[string]int
}

// Store says where ituwatch remembers items, alerts and deliveries.
type Store struct {
	// Driver is "sqlite" (the default: one file, one instance) or
	// "postgres" (a server, which several instances can share).
	Driver string `yaml:"driver" json:"driver"`
	Path   string `yaml:"path" json:"path"` // SQLite file, relative to the working directory
	// DSN is the PostgreSQL connection string, with driver postgres. It may
	// hold a password: a secret, never printed.
	DSN Secret `yaml:"dsn,omitempty" json:"dsn,omitempty"`
}

// Store drivers.
const (
	StoreSQLite   = "sqlite"
	StorePostgres = "postgres"
)

// Target is what the store opens: the file with sqlite, the connection
// string with postgres.
func (s Store) Target() string {
	if s.Driver == StorePostgres {
		return s.DSN.Value()
	}
	return s.Path
}

// HTTP tunes how sources are fetched.
type HTTP struct {
	// AllowPrivateNetworks lets sources point at loopback and private
	// addresses; off by default so a config cannot be used to probe the
	// network the bot runs in.
	AllowPrivateNetworks bool          `yaml:"allow_private_networks" json:"allow_private_networks"`
	UserAgent            string        `yaml:"user_agent" json:"user_agent"` // "" = the fetcher's default naming ituwatch and its version
	Timeout              time.Duration `yaml:"timeout" json:"timeout"`
	MaxBodyBytes         int64         `yaml:"max_body_bytes" json:"max_body_bytes"`
	PerHostConcurrency   int           `yaml:"per_host_concurrency" json:"per_host_concurrency"`
	// Concurrency bounds how many sources are polled at once when all are
	// polled together (at start-up, and by `ituwatch once`).
	Concurrency int `yaml:"concurrency" json:"concurrency"`
	// BodyMemory bounds the bytes of all the response bodies being read
	// and parsed at once; a fetch whose body does not fit waits.
	BodyMemory int64 `yaml:"body_memory" json:"body_memory"`
}

// Source is one feed, ITU document listing or page to watch.
type Source struct {
	ID       string `yaml:"id" json:"id"`
	Name     string `yaml:"name" json:"name"`
	Type     string `yaml:"type" json:"type"` // rss, atom, feed, itu-listing or page
	URL      string `yaml:"url" json:"url"`
	Schedule string `yaml:"schedule" json:"schedule"`                       // cron spec or descriptor such as "@every 30m"
	MaxPages int    `yaml:"max_pages,omitempty" json:"max_pages,omitempty"` // itu-listing only
	Selector string `yaml:"selector,omitempty" json:"selector,omitempty"`   // page only; "" = the page's main text
	Line     int    `yaml:"-" json:"-"`                                     // where the source starts in the file, for messages

	// MaxAlertsPerPoll overrides Alerts.MaxPerPoll for this source; 0 = not set.
	MaxAlertsPerPoll int `yaml:"max_alerts_per_poll,omitempty" json:"max_alerts_per_poll,omitempty"`

	// itu-listing only: the language whose file a document's text is read
	// from ("none": the listing rows only), and how many documents' files
	// one poll reads.
	DocumentLanguage    string `yaml:"document_language,omitempty" json:"document_language,omitempty"`
	MaxDocumentsPerPoll int    `yaml:"max_documents_per_poll,omitempty" json:"max_documents_per_poll,omitempty"`
}

// DocumentLanguageNone switches reading documents' text off.
const DocumentLanguageNone = "none"

// documentLanguages are ITU's six, as the config writes them.
var documentLanguages = []string{"en", "fr", "es", "ar", "zh", "ru"}

// Source types. rss, atom and feed are the same thing to the watcher (gofeed
// detects the format); the three names exist because users call feeds by
// what the site says they are.
const (
	TypeRSS        = "rss"
	TypeAtom       = "atom"
	TypeFeed       = "feed"
	TypeITUListing = "itu-listing"
	TypePage       = "page"
)

var sourceTypes = []string{TypeRSS, TypeAtom, TypeFeed, TypeITUListing, TypePage}

// Rules names the rule packs to load.
type Rules struct {
	// Packs are "builtin:<name>" or absolute paths of pack files (the file
	// gives them relative to itself).
	Packs []string `yaml:"packs" json:"packs"`
}

// Route sends matches of some topics, at or above a severity, to destinations.
type Route struct {
	Topics      []string            `yaml:"topics" json:"topics"` // topic ids or patterns; "*" is every topic
	MinSeverity model.Severity      `yaml:"min_severity" json:"min_severity"`
	To          []model.Destination `yaml:"to" json:"to"`
	// Proposers, when set, limit the route to ITU documents one of them
	// proposed, in itudoc's canonical names (sector members as written).
	Proposers []string `yaml:"proposers,omitempty" json:"proposers,omitempty"`
	// Digest, when set, gathers the route's alerts into a digest per
	// period instead of posting them one by one (those below Digest.Below
	// only, when it is set).
	Digest *RouteDigest `yaml:"digest,omitempty" json:"digest,omitempty"`
}

// RouteDigest is when a route's digest closes and which alerts go into it.
type RouteDigest struct {
	// Schedule is daily (09:00), weekly (Monday 09:00) or a cron spec.
	Schedule string `yaml:"schedule" json:"schedule"`
	// Timezone is the IANA name the schedule runs in; "" is UTC.
	Timezone string `yaml:"timezone,omitempty" json:"timezone,omitempty"`
	// Below: alerts at this severity and above are posted at once, the
	// rest go into the digest. Unset: every alert goes into the digest.
	Below model.Severity `yaml:"below,omitempty" json:"below,omitempty"`
}

// routeView is how a Route is written out: destinations as the user wrote them.
type routeView struct {
	Topics      []string `yaml:"topics" json:"topics"`
	MinSeverity string   `yaml:"min_severity" json:"min_severity"`
	To          []string `yaml:"to" json:"to"`
	Proposers   []string `yaml:"proposers,omitempty" json:"proposers,omitempty"`
	// Digest as the user wrote it; absent when the route has none.
	Digest *digestView `yaml:"digest,omitempty" json:"digest,omitempty"`
}

type digestView struct {
	Schedule string `yaml:"schedule" json:"schedule"`
	Timezone string `yaml:"timezone,omitempty" json:"timezone,omitempty"`
	Below    string `yaml:"below,omitempty" json:"below,omitempty"`
}

func (r Route) view() routeView {
	v := routeView{Topics: r.Topics, MinSeverity: r.MinSeverity.String(), To: make([]string, len(r.To)), Proposers: r.Proposers}
	if r.MinSeverity == model.SeverityUnknown {
		v.MinSeverity = model.SeverityLow.String()
	}
	for i, d := range r.To {
		v.To[i] = d.String()
	}
	if r.Digest != nil {
		v.Digest = &digestView{Schedule: r.Digest.Schedule, Timezone: r.Digest.Timezone}
		if r.Digest.Below != model.SeverityUnknown {
			v.Digest.Below = r.Digest.Below.String()
		}
	}
	return v
}

func (r Route) MarshalYAML() (any, error)    { return r.view(), nil }
func (r Route) MarshalJSON() ([]byte, error) { return json.Marshal(r.view()) }

// Alerts bounds what one poll of a source may post.
type Alerts struct {
	// MaxPerPoll is how many alerts one poll of a source may post to each
	// destination; the rest are stored (recent, search and explain find
	// them) and the destination gets one summary saying how many more
	// matched. A hostile or broken feed cannot flood a channel.
	MaxPerPoll int `yaml:"max_per_poll" json:"max_per_poll"`
}

// AlertLimit is how many alerts one poll of the source may post to each
// destination: its own max_alerts_per_poll, else alerts.max_per_poll.
func (c *Config) AlertLimit(sourceID string) int {
	for _, s := range c.Sources {
		if s.ID == sourceID && s.MaxAlertsPerPoll > 0 {
			return s.MaxAlertsPerPoll
		}
	}
	return c.Alerts.MaxPerPoll
}

// Slack is the Slack app the bot posts and listens as.
type Slack struct {
	BotToken Secret   `yaml:"bot_token" json:"bot_token"`                     // xoxb-…
	AppToken Secret   `yaml:"app_token,omitempty" json:"app_token,omitempty"` // xapp-…, for Socket Mode commands
	APIURL   string   `yaml:"api_url,omitempty" json:"api_url,omitempty"`     // "" = Slack's own API
	Admins   []string `yaml:"admins,omitempty" json:"admins,omitempty"`       // member ids allowed to change subscriptions
}

// Matrix is the Matrix account the bot posts and listens as.
type Matrix struct {
	Homeserver         string           `yaml:"homeserver" json:"homeserver"`
	UserID             string           `yaml:"user_id" json:"user_id"`
	DeviceID           string           `yaml:"device_id,omitempty" json:"device_id,omitempty"`
	AccessToken        Secret           `yaml:"access_token,omitempty" json:"access_token,omitempty"`
	Password           Secret           `yaml:"password,omitempty" json:"password,omitempty"`
	AllowedUsers       []string         `yaml:"allowed_users,omitempty" json:"allowed_users,omitempty"`             // whose invites the bot accepts
	AllowedHomeservers []string         `yaml:"allowed_homeservers,omitempty" json:"allowed_homeservers,omitempty"` // whose users' invites the bot accepts
	Admins             []string         `yaml:"admins,omitempty" json:"admins,omitempty"`                           // user ids allowed to change subscriptions besides room moderators
	Encryption         MatrixEncryption `yaml:"encryption" json:"encryption"`
}

// MatrixEncryption turns on end-to-end encryption for encrypted rooms.
type MatrixEncryption struct {
	Enabled   bool   `yaml:"enabled" json:"enabled"`
	PickleKey Secret `yaml:"pickle_key,omitempty" json:"pickle_key,omitempty"` // encrypts the stored crypto keys
}

// Metrics is the optional /healthz and /metrics listener.
type Metrics struct {
	Listen string `yaml:"listen,omitempty" json:"listen,omitempty"` // host:port; "" = off
}

// Defaults, kept together so the example file and the docs can quote them.
const (
	DefaultStorePath          = "ituwatch.db"
	DefaultTimeout            = 30 * time.Second
	DefaultMaxBodyBytes       = 10 << 20
	DefaultPerHostConcurrency = 2
	DefaultConcurrency        = 64
	DefaultBodyMemory         = 64 << 20
	DefaultRulePack           = "builtin:itu"
	DefaultMaxPages           = 5
	DefaultDocumentLanguage   = "en"
	DefaultDocumentsPerPoll   = 10
	DefaultFeedSchedule       = "@every 1h"
	DefaultListingSchedule    = "@every 6h"
	DefaultPageSchedule       = "@daily"
	DefaultMaxAlertsPerPoll   = 20
	maxAlertsPerPollLimit     = 1000
)

// Default is the configuration of a run without a file (and of `demo`): the
// SQLite store ituwatch.db, the built-in ITU rules, every alert to the console.
func Default() *Config {
	c := &Config{}
	applyDefaults(c)
	return c
}

// applyDefaults fills every setting the file left out. It is the only place
// defaults live.
func applyDefaults(c *Config) {
	if c.Store.Driver == "" {
		c.Store.Driver = StoreSQLite
	}
	if c.Store.Path == "" && c.Store.Driver == StoreSQLite {
		c.Store.Path = DefaultStorePath
	}
	if c.HTTP.Timeout == 0 {
		c.HTTP.Timeout = DefaultTimeout
	}
	if c.HTTP.MaxBodyBytes == 0 {
		c.HTTP.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.HTTP.PerHostConcurrency == 0 {
		c.HTTP.PerHostConcurrency = DefaultPerHostConcurrency
	}
	if c.HTTP.Concurrency == 0 {
		c.HTTP.Concurrency = DefaultConcurrency
	}
	if c.HTTP.BodyMemory == 0 {
		c.HTTP.BodyMemory = DefaultBodyMemory
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		if s.Name == "" {
			s.Name = s.ID
		}
		if s.Schedule == "" {
			switch {
			case s.Type == TypeITUListing:
				s.Schedule = DefaultListingSchedule
			case s.Type == TypePage:
				s.Schedule = DefaultPageSchedule
			default:
				s.Schedule = DefaultFeedSchedule
			}
		}
		if s.Type == TypeITUListing && s.MaxPages == 0 {
			s.MaxPages = DefaultMaxPages
		}
		if s.Type == TypeITUListing && s.DocumentLanguage == "" {
			s.DocumentLanguage = DefaultDocumentLanguage
		}
		if s.Type == TypeITUListing && s.MaxDocumentsPerPoll == 0 {
			s.MaxDocumentsPerPoll = DefaultDocumentsPerPoll
		}
	}
	if c.Delivery.HoldFor == 0 {
		c.Delivery.HoldFor = DefaultHoldFor
	}
	if c.Alerts.MaxPerPoll == 0 {
		c.Alerts.MaxPerPoll = DefaultMaxAlertsPerPoll
	}
	if len(c.Rules.Packs) == 0 {
		c.Rules.Packs = []string{DefaultRulePack}
	}
	if len(c.Routes) == 0 {
		c.Routes = []Route{{Topics: []string{"*"}, MinSeverity: model.SeverityLow, To: []model.Destination{{Platform: "console"}}}}
	}
	for i := range c.Routes {
		if c.Routes[i].MinSeverity == model.SeverityUnknown {
			c.Routes[i].MinSeverity = model.SeverityLow
		}
	}
}
