package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ituwatch/ituwatch/internal/didyoumean"
	"github.com/ituwatch/ituwatch/internal/periods"
	"github.com/ituwatch/ituwatch/model"
)

// validate checks the walked config with defaults applied. Every message
// says what is expected; none quotes a secret.
func (p *parser) validate(c *Config) {
	p.checkStore(c)
	p.checkHTTP(c)
	p.checkSources(c)
	p.checkRules(c)
	p.checkRoutes(c)
	p.checkAlerts(c)
	if c.Slack != nil {
		p.checkSlack(c.Slack)
	}
	if c.Matrix != nil {
		p.checkMatrix(c.Matrix, c.HTTP.AllowPrivateNetworks)
	}
	p.checkMetrics(c)
	p.checkDelivery(c)
	p.checkWeb(c)
}

// lineOf finds where a field is written, or else its nearest written parent.
func (p *parser) lineOf(field string) int { return nearestLine(p.lines, field) }

// bad reports a problem with a field unless its ${VAR} already failed.
func (p *parser) bad(field, format string, args ...any) {
	for f := field; f != ""; {
		if p.reported[f] {
			return
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	p.problem(p.lineOf(field), field, format, args...)
}

func (p *parser) doubt(field, format string, args ...any) {
	p.warn(p.lineOf(field), field, format, args...)
}

func (p *parser) checkStore(c *Config) {
	s := c.Store
	switch s.Driver {
	case StoreSQLite:
		if s.DSN.IsSet() {
			p.doubt("store.dsn", "store.dsn is only read with store.driver: postgres; ituwatch keeps its data in the SQLite file %q (store.path). Set store.driver: postgres to use the DSN, or remove it", s.Path)
		}
	case StorePostgres:
		if !s.DSN.IsSet() {
			p.bad("store.dsn", "store.driver is postgres but store.dsn is empty; set it to ${ITUWATCH_PG_DSN} and export the DSN (postgres://user:password@host:5432/dbname)")
		}
		if _, written := p.lines["store.path"]; written {
			p.doubt("store.path", "store.path is only read with store.driver: sqlite; with postgres the data is in the database of store.dsn. Remove store.path")
		}
	default:
		p.bad("store.driver", "store.driver must be sqlite or postgres, not %q", s.Driver)
	}
	if _, written := p.lines["store.postgres"]; written {
		where := fmt.Sprintf("keeps its data in the SQLite file %q (store.path)", s.Path)
		if s.Driver == StorePostgres {
			where = "uses store.dsn"
		}
		p.doubt("store.postgres", "this section is ignored and ituwatch %s; for PostgreSQL set store.driver: postgres and store.dsn: ${ITUWATCH_PG_DSN}, and remove the section", where)
	}
}

func (p *parser) checkHTTP(c *Config) {
	h := c.HTTP
	if h.Timeout < time.Second || h.Timeout > 10*time.Minute {
		p.bad("http.timeout", "%s is out of range; use between 1s and 10m (%s suits most sites)", h.Timeout, DefaultTimeout)
	}
	if h.MaxBodyBytes < 1024 {
		p.bad("http.max_body_bytes", "%d is too small; use a size of at least 1KiB (the default is %s)", h.MaxBodyBytes, sizeText(DefaultMaxBodyBytes))
	}
	if h.BodyMemory < 1<<20 {
		p.bad("http.body_memory", "%d is too small; use a size of at least 1MiB (the default is %s)", h.BodyMemory, sizeText(DefaultBodyMemory))
	}
	if h.PerHostConcurrency < 1 {
		p.bad("http.per_host_concurrency", "%d is not allowed; use 1 or more (the default is %d)", h.PerHostConcurrency, DefaultPerHostConcurrency)
	} else if h.PerHostConcurrency > 4 {
		p.doubt("http.per_host_concurrency", "%d requests at once to the same site is more than most sites welcome; %d is polite", h.PerHostConcurrency, DefaultPerHostConcurrency)
	}
	if h.Concurrency < 1 || h.Concurrency > 1024 {
		p.bad("http.concurrency", "%d is out of range; use between 1 and 1024 (the default is %d)", h.Concurrency, DefaultConcurrency)
	} else if h.Concurrency < h.PerHostConcurrency {
		p.doubt("http.concurrency", "%d sources at once is fewer than per_host_concurrency (%d) allows to one site", h.Concurrency, h.PerHostConcurrency)
	}
	if strings.ContainsAny(h.UserAgent, "\r\n") {
		p.bad("http.user_agent", "must be one line")
	}
}

var sourceIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func (p *parser) checkSources(c *Config) {
	if len(c.Sources) == 0 {
		p.doubt("sources", "no sources, so nothing will be watched; add some (see ituwatch.example.yaml)")
	}
	firstUse := map[string]int{}
	for i, s := range c.Sources {
		f := fmt.Sprintf("sources[%d]", i)
		switch {
		case s.ID == "":
			p.bad(f+".id", "required: a short unique name for the source, e.g. \"itu-news\"")
		case !sourceIDRe.MatchString(s.ID):
			p.bad(f+".id", "%q is not a usable id; use lowercase letters, digits and hyphens (up to 64), e.g. \"itu-news\"", s.ID)
		default:
			if j, dup := firstUse[s.ID]; dup {
				p.bad(f+".id", "%q is already the id of sources[%d] (line %d); give each source its own id", s.ID, j, c.Sources[j].Line)
			} else {
				firstUse[s.ID] = i
			}
		}

		typeOK := true
		switch {
		case s.Type == "":
			typeOK = false
			p.bad(f+".type", "required: one of %s", oneOf(sourceTypes))
		case !contains(sourceTypes, s.Type):
			typeOK = false
			hint := ""
			if sg := didyoumean.Closest(s.Type, sourceTypes); sg != "" {
				hint = fmt.Sprintf("did you mean %q? ", sg)
			}
			p.bad(f+".type", "unknown type %q; %suse one of %s", s.Type, hint, oneOf(sourceTypes))
		}

		if s.URL == "" {
			p.bad(f+".url", "required: the address of the feed or page, starting with https://")
		} else if msg := checkWebURL(s.URL); msg != "" {
			p.bad(f+".url", "%s", msg)
		}

		p.checkSchedule(f+".schedule", s.Schedule, c.HTTP.AllowPrivateNetworks)

		if s.MaxPages != 0 && typeOK && s.Type != TypeITUListing {
			p.bad(f+".max_pages", "only itu-listing sources have pages to follow; remove it or change the type")
		} else if s.MaxPages < 0 || s.MaxPages > 50 {
			p.bad(f+".max_pages", "%d is out of range; use 1 to 50 (the default is %d)", s.MaxPages, DefaultMaxPages)
		}
		if (s.DocumentLanguage != "" || s.MaxDocumentsPerPoll != 0) && typeOK && s.Type != TypeITUListing {
			p.bad(f+".document_language", "only itu-listing sources read documents' text; remove document_language and max_documents_per_poll or set type: itu-listing")
		}
		if l := s.DocumentLanguage; l != "" && l != DocumentLanguageNone && !slices.Contains(documentLanguages, l) {
			p.bad(f+".document_language", "unknown language %q; use one of en, fr, es, ar, zh, ru (ITU's six), or none to read the listing rows only", l)
		}
		if s.MaxDocumentsPerPoll < 0 || s.MaxDocumentsPerPoll > 100 {
			p.bad(f+".max_documents_per_poll", "%d is out of range; use 1 to 100 (the default is %d): ITU's server is slow, the documents left wait for the next poll", s.MaxDocumentsPerPoll, DefaultDocumentsPerPoll)
		}
		if s.Selector != "" && typeOK && s.Type != TypePage {
			p.bad(f+".selector", "only page sources use a selector; remove it or set type: page")
		}
	}
}

// checkSchedule accepts what the scheduler's cron parser accepts, and
// refuses polling more than once a minute: ITU and press sites are shared
// public servers. Local tests (allow_private_networks) may poll faster.
func (p *parser) checkSchedule(field, spec string, allowFast bool) {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		p.bad(field, "%q is not a schedule; use a cron spec like \"*/15 * * * *\" or \"@every 15m\"", spec)
		return
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok && every.Delay < time.Minute && !allowFast {
		p.bad(field, "%q polls more than once a minute, which is impolite to the site; use \"@every 1m\" or longer (shorter is allowed only with http.allow_private_networks: true, for local testing)", spec)
	}
}

// checkWebURL returns what is wrong with an http(s) address, or "".
func checkWebURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("%q is not a web address; write it in full, e.g. https://www.itu.int/…", raw)
	}
	if u.User != nil {
		// Not quoted: the user info may be a password.
		return "the address contains a user name or password; remove it (ituwatch only reads public pages)"
	}
	if u.Scheme == "" {
		return fmt.Sprintf("%q is not a full web address; start it with https://", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Sprintf("%q is not a web address; it must start with https:// or http://", raw)
	}
	if u.Hostname() == "" {
		return fmt.Sprintf("%q has no host name; write it in full, e.g. https://www.itu.int/…", raw)
	}
	return ""
}

func (p *parser) checkRules(c *Config) {
	for i, ref := range c.Rules.Packs {
		f := fmt.Sprintf("rules.packs[%d]", i)
		if _, ok := p.lines[f]; !ok && len(c.Rules.Packs) == 1 {
			f = "rules.packs" // written as a single value
		}
		if name, ok := strings.CutPrefix(ref, "builtin:"); ok {
			if name == "" {
				p.bad(f, "name the built-in pack, e.g. builtin:itu")
			}
			continue
		}
		if ref == "" {
			p.bad(f, "is empty; give the path of a rule pack file, or builtin:itu")
			continue
		}
		abs := ref
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(p.dir, ref)
		}
		if a, err := filepath.Abs(abs); err == nil {
			abs = a
		}
		c.Rules.Packs[i] = abs
		st, err := os.Stat(abs)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			p.bad(f, "rule pack file %q not found (looked for %s); paths are relative to this config file", ref, abs)
		case err != nil:
			p.bad(f, "cannot read rule pack file %q: %v", ref, err)
		case st.IsDir():
			p.bad(f, "%q is a folder; name the rule pack file in it", ref)
		}
	}
}

func (p *parser) checkRoutes(c *Config) {
	for i, r := range c.Routes {
		f := fmt.Sprintf("routes[%d]", i)
		if len(r.Topics) == 0 {
			p.bad(f+".topics", "required: the topics this route takes, e.g. [new-ip, dns-naming], or [\"*\"] for every topic")
		}
		for j, t := range r.Topics {
			tf := p.itemField(f+".topics", j, len(r.Topics))
			if t == "" {
				p.bad(tf, "is empty; write a topic id such as new-ip, or \"*\" for every topic")
			} else if _, err := path.Match(t, ""); err != nil {
				p.bad(tf, "%q is not a topic id or pattern; write a topic id such as new-ip, or \"*\" for every topic", t)
			}
		}
		if len(r.To) == 0 {
			p.bad(f+".to", "required: where to send alerts, e.g. [console] or [\"slack:#itu-alerts\"]")
		}
		for j, d := range r.To {
			df := p.itemField(f+".to", j, len(r.To))
			switch {
			case d.Platform == "slack" && c.Slack == nil:
				p.bad(df, "%q sends to Slack, but there is no slack section; add one (with bot_token) or remove this destination", d.String())
			case d.Platform == "matrix" && c.Matrix == nil:
				p.bad(df, "%q sends to Matrix, but there is no matrix section; add one (with homeserver, user_id and access_token) or remove this destination", d.String())
			}
		}
		p.checkRouteDigest(f+".digest", r)
	}
}

// checkRouteDigest checks a route's digest the way the digest closer will
// read it.
func (p *parser) checkRouteDigest(f string, r Route) {
	d := r.Digest
	if d == nil {
		return
	}
	if _, err := periods.LoadTimezone(d.Timezone); err != nil {
		p.bad(f+".timezone", "%v", err)
		return
	}
	if _, err := periods.Parse(d.Schedule, d.Timezone); err != nil {
		field := f + ".schedule"
		if _, ok := p.lines[field]; !ok {
			field = f
		}
		p.bad(field, "%v", err)
	}
	if d.Below != model.SeverityUnknown && d.Below <= r.MinSeverity {
		p.bad(f+".below", "is %s, but the route takes nothing below %s, so no alert would go into the digest; raise below, or remove it to send every alert in the digest", d.Below, r.MinSeverity)
	}
}

// itemField names element j of a list field, or the field itself when the
// file gave a single value instead of a list.
func (p *parser) itemField(f string, j, n int) string {
	ef := fmt.Sprintf("%s[%d]", f, j)
	if _, ok := p.lines[ef]; !ok && n == 1 {
		return f
	}
	return ef
}

// checkAlerts bounds the per-poll limit. A value written as 0 is refused
// rather than read as "the default", so no one believes 0 turns it off
// (alerts.max_per_poll: 0 is caught while parsing, before the default).
func (p *parser) checkAlerts(c *Config) {
	if n := c.Alerts.MaxPerPoll; n < 1 || n > maxAlertsPerPollLimit {
		p.bad("alerts.max_per_poll", "%s", alertLimitRange(n))
	}
	for i, s := range c.Sources {
		f := fmt.Sprintf("sources[%d].max_alerts_per_poll", i)
		if n := s.MaxAlertsPerPoll; n < 0 || n > maxAlertsPerPollLimit || n == 0 && p.written(f) {
			p.bad(f, "%d is out of range; use 1 to %d, or leave it out to use alerts.max_per_poll (%d)", n, maxAlertsPerPollLimit, c.Alerts.MaxPerPoll)
		}
	}
}

func alertLimitRange(n int) string {
	return fmt.Sprintf("%d is out of range; use 1 to %d (the default is %d): how many alerts one poll of a source may post to each channel, the rest being stored and summed up in one message",
		n, maxAlertsPerPollLimit, DefaultMaxAlertsPerPoll)
}

// written reports whether the file sets field (as opposed to a default).
func (p *parser) written(field string) bool {
	_, ok := p.lines[field]
	return ok
}

var slackMemberRe = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// slackTokenKind names a token by its public prefix, never by its value.
func slackTokenKind(s Secret) string {
	v := s.Value()
	switch {
	case strings.HasPrefix(v, "xoxb-"):
		return "a bot token (xoxb-)"
	case strings.HasPrefix(v, "xapp-"):
		return "an app-level token (xapp-)"
	case strings.HasPrefix(v, "xoxp-"):
		return "a user token (xoxp-)"
	case strings.HasPrefix(v, "xoxe"):
		return "a configuration token (xoxe-)"
	}
	return "not a Slack token"
}

func (p *parser) checkSlack(s *Slack) {
	if _, written := p.lines["slack.signing_secret"]; written {
		p.doubt("slack.signing_secret", "ituwatch receives Slack events over Socket Mode (app_token) and never uses a signing secret: this setting is ignored; remove it")
	}
	switch {
	case !s.BotToken.IsSet():
		p.bad("slack.bot_token", "required: the app's Bot User OAuth Token (starts with xoxb-), e.g. bot_token: ${SLACK_BOT_TOKEN}")
	case !strings.HasPrefix(s.BotToken.Value(), "xoxb-"):
		p.bad("slack.bot_token", "this is %s; bot_token needs the Bot User OAuth Token, which starts with xoxb- (OAuth & Permissions page of the Slack app)", slackTokenKind(s.BotToken))
	}
	if s.AppToken.IsSet() && !strings.HasPrefix(s.AppToken.Value(), "xapp-") {
		p.bad("slack.app_token", "this is %s; app_token needs an app-level token, which starts with xapp- (Basic Information → App-Level Tokens, scope connections:write)", slackTokenKind(s.AppToken))
	}
	if s.APIURL != "" {
		if msg := checkWebURL(s.APIURL); msg != "" {
			p.bad("slack.api_url", "%s", msg)
		}
	}
	for j, a := range s.Admins {
		if !slackMemberRe.MatchString(a) {
			p.bad(p.itemField("slack.admins", j, len(s.Admins)), "%q is not a Slack member id; use the id, e.g. U0123ABCD (profile → ⋯ → Copy member ID)", a)
		}
	}
}

var (
	matrixUserRe   = regexp.MustCompile(`^@[^:\s]+:[^\s:]+(:[0-9]{1,5})?$`)
	matrixServerRe = regexp.MustCompile(`^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)
)

func (p *parser) checkMatrix(m *Matrix, allowPrivate bool) {
	switch {
	case m.Homeserver == "":
		p.bad("matrix.homeserver", "required: the homeserver's address, e.g. https://matrix.example.org")
	default:
		if msg := checkWebURL(m.Homeserver); msg != "" {
			p.bad("matrix.homeserver", "%s", msg)
		} else if u, _ := url.Parse(m.Homeserver); u.Scheme == "http" && !allowPrivate && !isLoopbackHost(u.Hostname()) {
			p.bad("matrix.homeserver", "%q is not encrypted, so the access token would cross the network in clear; use https://", m.Homeserver)
		}
	}
	switch {
	case m.UserID == "":
		p.bad("matrix.user_id", "required: the bot's Matrix id, e.g. \"@ituwatch:example.org\"")
	case !matrixUserRe.MatchString(m.UserID):
		p.bad("matrix.user_id", "%q is not a Matrix user id; write it as \"@user:server\", e.g. \"@ituwatch:example.org\"", m.UserID)
	}
	if !m.AccessToken.IsSet() && !m.Password.IsSet() && !p.reported["matrix.access_token"] && !p.reported["matrix.password"] {
		p.bad("matrix", "set access_token (recommended), or password for a one-time login, e.g. access_token: ${MATRIX_ACCESS_TOKEN}")
	}
	for j, u := range m.AllowedUsers {
		if !matrixUserRe.MatchString(u) {
			p.bad(p.itemField("matrix.allowed_users", j, len(m.AllowedUsers)), "%q is not a Matrix user id; write it as \"@user:server\"", u)
		}
	}
	for j, u := range m.Admins {
		if !matrixUserRe.MatchString(u) {
			p.bad(p.itemField("matrix.admins", j, len(m.Admins)), "%q is not a Matrix user id; write it as \"@user:server\"", u)
		}
	}
	for j, h := range m.AllowedHomeservers {
		if !matrixServerRe.MatchString(h) {
			p.bad(p.itemField("matrix.allowed_homeservers", j, len(m.AllowedHomeservers)), "%q is not a server name; write just the name after the colon in user ids, e.g. \"example.org\"", h)
		}
	}
	if m.Encryption.Enabled && !m.Encryption.PickleKey.IsSet() {
		p.bad("matrix.encryption.pickle_key", "required when encryption is enabled: a long random passphrase that protects the stored encryption keys, e.g. pickle_key: ${MATRIX_PICKLE_KEY}")
	}
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (p *parser) checkMetrics(c *Config) {
	l := c.Metrics.Listen
	if l == "" {
		return
	}
	host, port, err := net.SplitHostPort(l)
	if err != nil {
		p.bad("metrics.listen", "%q is not host:port; write e.g. \"127.0.0.1:9464\"", l)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.bad("metrics.listen", "%q has no valid port; write e.g. \"127.0.0.1:9464\"", l)
		return
	}
	if !isLoopbackHost(host) {
		p.doubt("metrics.listen", "%q can be reached from other machines; use \"127.0.0.1:%s\" unless a firewall or proxy guards it", l, port)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// oneOf writes "a, b or c".
func oneOf(list []string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}
