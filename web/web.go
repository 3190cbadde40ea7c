// Package web is ituwatch's read-only web view: a timeline of alerts per
// topic and week, a page per alert (the permalink chat alerts link to),
// search, ITU documents by meeting, the health of sources, and the rules.
// Pages are rendered on the server with html/template, so every string from
// a feed is escaped; CSS is embedded; there is no script. Only GET and HEAD
// are answered: nothing here changes the store.
package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ituwatch/ituwatch/config"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/rules"
)

// Store is what the web view reads; *store.Store satisfies it. Every read
// is bounded by a limit or an id range.
type Store interface {
	Alert(ctx context.Context, id int64) (model.Alert, error)
	AlertUpdates(ctx context.Context, id int64, limit int) ([]model.Alert, error)
	AlertClaim(ctx context.Context, alertID int64) (model.AlertClaim, bool, error)
	Notes(ctx context.Context, alertID int64, limit int) ([]model.AlertNote, error)
	NewestAlertID(ctx context.Context) (int64, error)
	AlertTopics(ctx context.Context, afterID int64, since time.Time, limit int) ([]model.AlertTopic, error)
	PeriodAlerts(ctx context.Context, topic string, from, to time.Time, beforeID int64, limit int) ([]model.Alert, error)
	SearchCovered(ctx context.Context, query string, limit int) ([]model.SearchHit, model.SearchCoverage, error)
	SourceStates(ctx context.Context) ([]model.SourceState, error)
	NewestDocuments(ctx context.Context, limit int) ([]model.DocumentItem, error)
	DocumentsSince(ctx context.Context, seen time.Time, rowID int64, limit int) ([]model.DocumentItem, error)
}

// Source is a configured source as the sources page shows it.
type Source struct {
	ID, Name, Type, URL, Schedule string
}

// Options configure the handler.
type Options struct {
	Store Store
	// Engine matches the rules test form's text; Packs are shown on the
	// rules page. Either may be nil (the pages say so).
	Engine *rules.Engine
	Packs  []*rules.Pack
	// Sources are the configured sources, in config order.
	Sources []Source
	// Listen is where the handler is served: anything but loopback
	// requires Auth, and NewHandler refuses it otherwise.
	Listen string
	// BaseURL is the public address of the pages; its path, if any, is
	// the prefix of every link (a proxy may or may not strip it).
	BaseURL  string
	Auth     config.WebAuth
	Meetings []config.Meeting
	Now      func() time.Time
	Logger   *slog.Logger
	Version  string
}

// The Content-Security-Policy of every answer: nothing but our own
// stylesheet, no script at all is needed, no framing, forms only to us.
const csp = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

//go:embed templates/*.html static/*
var assets embed.FS

// handler serves the pages.
type handler struct {
	o        Options
	prefix   string // path of BaseURL without the trailing slash; "" at the root
	mux      *http.ServeMux
	pages    map[string]*template.Template
	log      *slog.Logger
	timeline *timelineCache
	docs     *documentCache
	topics   map[string]rules.Topic
	topicIDs []string
	// ruleTopics are the packs' topics in words, written once: the packs
	// do not change while the handler serves.
	ruleTopics []rules.TopicRules
	static     http.Handler
	userHash   [32]byte // basic auth: sha256 of user and password, compared in constant time
	passHash   [32]byte
}

// NewHandler returns the web view. It refuses to serve a non-loopback
// address without authentication, whatever the config said.
func NewHandler(o Options) (http.Handler, error) {
	if o.Store == nil {
		return nil, errors.New("web view: no store")
	}
	if o.Listen != "" && !IsLoopback(o.Listen) && !o.Auth.IsSet() {
		return nil, fmt.Errorf("web view: %s can be reached from other machines; set web.auth (proxy_header with allow, or basic) or listen on 127.0.0.1", o.Listen)
	}
	if o.Auth.ProxyHeader != "" && len(o.Auth.Allow) == 0 {
		return nil, errors.New("web view: web.auth.proxy_header needs web.auth.allow, the people who may read it")
	}
	if b := o.Auth.Basic; b != nil && (b.User == "" || !b.Password.IsSet()) {
		return nil, errors.New("web view: web.auth.basic needs a user and a password")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	h := &handler{o: o, log: o.Logger, topics: map[string]rules.Topic{}}
	if o.BaseURL != "" {
		u, err := url.Parse(o.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("web view: base URL: %w", err)
		}
		h.prefix = strings.TrimRight(u.Path, "/")
	}
	if b := o.Auth.Basic; b != nil {
		h.userHash = sha256.Sum256([]byte(b.User))
		h.passHash = sha256.Sum256([]byte(b.Password.Value()))
	}
	if o.Engine != nil {
		for _, t := range o.Engine.Topics() {
			h.topics[t.ID] = t
			h.topicIDs = append(h.topicIDs, t.ID)
		}
	}
	for _, p := range o.Packs {
		h.ruleTopics = append(h.ruleTopics, p.Describe()...)
	}
	var err error
	if h.pages, err = parsePages(); err != nil {
		return nil, err
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, err
	}
	h.static = http.FileServerFS(static)
	h.timeline = &timelineCache{}
	h.docs = &documentCache{}

	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", h.page(h.timelinePage))
	m.HandleFunc("GET /alerts", h.page(h.alertListPage))
	m.HandleFunc("GET /alerts/{id}", h.page(h.alertPage))
	m.HandleFunc("GET /search", h.page(h.searchPage))
	m.HandleFunc("GET /documents", h.page(h.documentsPage))
	m.HandleFunc("GET /documents/{meeting}", h.page(h.meetingPage))
	m.HandleFunc("GET /sources", h.page(h.sourcesPage))
	m.HandleFunc("GET /rules", h.page(h.rulesPage))
	m.HandleFunc("GET /rules/test", h.page(h.rulesTestPage))
	// Browsers ask for an icon on their own; there is none, and a 404
	// would be an error in every visitor's console.
	m.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=86400")
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET /static/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // files only, no listings
			return
		}
		w.Header().Set("Cache-Control", "private, max-age=3600")
		http.StripPrefix("/static", h.static).ServeHTTP(w, r)
	})
	m.HandleFunc("GET /", h.page(func(r *http.Request) (pageData, error) { return pageData{}, errNotFound }))
	h.mux = m
	return h, nil
}

// Warm fills the timeline's and the documents page's caches, so that the
// first reader does not wait for the reads every later page skips. The
// handler works without it; cmd/ituwatch calls it when it starts serving.
func (h *handler) Warm(ctx context.Context) error {
	now := h.o.Now().UTC()
	if _, err := h.timeline.refresh(ctx, h.o.Store, weekStart(now).AddDate(0, 0, -7*(timelineWeeks-1))); err != nil {
		return fmt.Errorf("web view: count alerts per topic and week: %w", err)
	}
	if _, err := h.docs.groups(ctx, h.o.Store); err != nil {
		return fmt.Errorf("web view: group documents by meeting: %w", err)
	}
	return nil
}

// IsLoopback reports whether a host:port listens on loopback only.
func IsLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "This web view is read-only: only GET and HEAD are answered.", http.StatusMethodNotAllowed)
		return
	}
	if !h.authorised(w, r) {
		return
	}
	// Behind a proxy that does not strip the base URL's path, requests
	// arrive with it; links always carry it.
	if h.prefix != "" {
		if p := strings.TrimPrefix(r.URL.Path, h.prefix); p != r.URL.Path && (p == "" || p[0] == '/') {
			r2 := *r
			u := *r.URL
			u.Path = p
			if u.Path == "" {
				u.Path = "/"
			}
			u.RawPath = ""
			r2.URL = &u
			r = &r2
		}
	}
	h.mux.ServeHTTP(w, r)
}

// authorised checks the configured authentication, answering 401 or 403
// itself when it fails. Loopback without auth needs nothing.
func (h *handler) authorised(w http.ResponseWriter, r *http.Request) bool {
	a := h.o.Auth
	switch {
	case a.Basic != nil:
		user, pass, ok := r.BasicAuth()
		if ok {
			u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
			// Both compared whatever the first gives, so timing says nothing.
			okUser := subtle.ConstantTimeCompare(u[:], h.userHash[:])
			okPass := subtle.ConstantTimeCompare(p[:], h.passHash[:])
			if okUser&okPass == 1 {
				return true
			}
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="ituwatch", charset="UTF-8"`)
		http.Error(w, "Sign in with the web view's user name and password (ask whoever runs ituwatch).", http.StatusUnauthorized)
		return false
	case a.ProxyHeader != "":
		user := strings.TrimSpace(r.Header.Get(a.ProxyHeader))
		for _, allowed := range a.Allow {
			if user != "" && strings.EqualFold(user, allowed) {
				return true
			}
		}
		if user == "" {
			http.Error(w, "Not signed in: open the web view through the sign-in proxy.", http.StatusUnauthorized)
		} else {
			http.Error(w, "You are signed in, but not on the web view's allow list (web.auth.allow); ask whoever runs ituwatch to add you.", http.StatusForbidden)
		}
		return false
	}
	return true
}

// errNotFound makes a page answer 404.
var errNotFound = errors.New("not found")

// badRequest is a mistake in the address, said to the reader.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

// pageData is what every page template gets.
type pageData struct {
	Template string // which page template
	Title    string
	Nav      string // the navigation entry to mark as current
	Prefix   string
	Version  string
	Data     any
}

func (h *handler) page(fn func(r *http.Request) (pageData, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		p, err := fn(r)
		status := http.StatusOK
		var br badRequest
		switch {
		case errors.Is(err, errNotFound):
			status = http.StatusNotFound
			p = pageData{Template: "error", Title: "Not found", Data: "There is no such page here. The timeline, search and documents pages list what there is."}
		case errors.As(err, &br):
			status = http.StatusBadRequest
			p = pageData{Template: "error", Title: "Cannot show that", Data: br.msg}
		case err != nil:
			if r.Context().Err() != nil {
				return // the reader went away
			}
			h.log.Error("web page failed", "path", r.URL.Path, "err", err)
			status = http.StatusInternalServerError
			p = pageData{Template: "error", Title: "Something went wrong", Data: "ituwatch could not read its store for this page; try again in a moment. The log says what failed."}
		}
		p.Prefix, p.Version = h.prefix, h.o.Version
		t := h.pages[p.Template]
		if t == nil {
			h.log.Error("web page has no template", "template", p.Template)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		var b strings.Builder
		if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
			h.log.Error("web page failed to render", "path", r.URL.Path, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "private, no-cache")
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(b.String()))
		}
		h.log.Debug("web page", "path", r.URL.Path, "status", status, "took", time.Since(start))
	}
}

// link is a path of the web view with its prefix and query.
func (h *handler) link(path string, q url.Values) string {
	s := h.prefix + path
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// topicName is a topic's name from the rules, or its id.
func (h *handler) topicName(id string) string {
	if t, ok := h.topics[id]; ok && t.Name != "" {
		return t.Name
	}
	return id
}

// safeLink is a feed's link if it is a web address, else "": the pages
// link only http(s), whatever a feed wrote.
func safeLink(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	return u.String()
}

// when writes a time for a page: "7 Dec 2026 14:05 UTC"; "" for zero.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

// day writes a date for a page: "7 Dec 2026"; "" for zero.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006")
}
