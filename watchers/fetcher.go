// Package watchers fetches sources (feeds, ITU document listings, changing
// pages), turns what they publish into model.Items, and schedules the polls
// politely: conditional GETs, per-host limits, backoff, and never a request
// into the network the bot runs in.
package watchers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ituwatch/ituwatch/internal/cpuslots"
	"github.com/ituwatch/ituwatch/model"
)

// ErrBodyTooLarge is wrapped when a response body, after decompression, is
// larger than FetcherOptions.MaxBodyBytes.
var ErrBodyTooLarge = errors.New("response body too large")

// FetcherOptions tunes the HTTP client every source shares. The values
// ituwatch runs with come from its config (http.*), which owns their
// defaults; a zero value here means no limit, as in net/http, except where
// a field says otherwise.
type FetcherOptions struct {
	UserAgent            string        // ituwatch names itself and its version (cmd/ituwatch); "" = net/http's
	Timeout              time.Duration // whole request incl. body
	MaxBodyBytes         int64         // bodies (after decompression) are cut there with an error
	MaxRedirects         int           // 0 = 5
	PerHostConcurrency   int           // concurrent requests per host
	AllowPrivateNetworks bool          // false: refuse loopback, private, link-local, CGNAT, metadata, documentation, unspecified and multicast addresses, checked at connect time
	// BodyMemory bounds the bytes of all the bodies being read and parsed
	// at once: a fetch whose body does not fit waits for others to finish.
	// A body larger than the whole budget is still read, as the only new
	// one (see bodyBudget).
	BodyMemory int64
}

const (
	defaultMaxRedirects = 5
	// noLimit stands for a zero limit: large enough never to be reached,
	// small enough that a byte count plus one cannot overflow.
	noLimit = 1 << 62
)

// Fetcher is the one HTTP client of all sources. It is safe for concurrent use.
type Fetcher struct {
	opts   FetcherOptions
	client *http.Client
	now    func() time.Time

	mu    sync.Mutex
	hosts map[string]chan struct{} // per-host semaphores

	waiting atomic.Int64 // requests queued behind a host's limit; read by tests

	bodies *bodyBudget
}

// NewFetcher builds a Fetcher.
func NewFetcher(opts FetcherOptions) *Fetcher {
	if opts.Timeout < 0 {
		opts.Timeout = 0
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = noLimit
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = defaultMaxRedirects
	}
	if opts.PerHostConcurrency < 0 {
		opts.PerHostConcurrency = 0
	}
	if opts.BodyMemory <= 0 {
		opts.BodyMemory = noLimit
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !opts.AllowPrivateNetworks {
		dialer.Control = guardControl
	}
	transport := &http.Transport{
		// No proxy: through a proxy the guard would only see the proxy's
		// address, never the feed's.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		// Enough to keep a connection to every host of a large poll
		// cycle (hundreds of hosts, see PerHostConcurrency): a cycle
		// polls each host's feeds one after another, and a connection
		// closed for want of room is dialled again moments later.
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: opts.PerHostConcurrency,
		ForceAttemptHTTP2:   true,
		// We ask for gzip and decode it ourselves so that the size cap counts
		// decompressed bytes and a small gzip bomb cannot fill memory.
		DisableCompression: true,
	}
	f := &Fetcher{
		opts:   opts,
		now:    time.Now,
		hosts:  make(map[string]chan struct{}),
		bodies: newBodyBudget(opts.BodyMemory),
	}
	f.client = &http.Client{
		Transport:     transport,
		Timeout:       opts.Timeout,
		CheckRedirect: f.checkRedirect,
	}
	return f
}

// Validators are what a conditional GET remembers of the last answer: its
// ETag and Last-Modified, sent back as If-None-Match and If-Modified-Since,
// and the hash of its body, for the servers that send neither.
type Validators struct {
	ETag         string
	LastModified string
	BodyHash     string
}

// validatorsOf is what st remembers of the last answer.
func validatorsOf(st model.SourceState) Validators {
	return Validators{ETag: st.ETag, LastModified: st.LastModified, BodyHash: st.BodyHash}
}

// applyTo records v in st.
func (v Validators) applyTo(st *model.SourceState) {
	st.ETag, st.LastModified, st.BodyHash = v.ETag, v.LastModified, v.BodyHash
}

// FetchResult is one answer to a Fetch.
type FetchResult struct {
	StatusCode  int
	NotModified bool   // a 304, or a 200 whose body hash equals the previous BodyHash: the caller must not parse it again
	Body        []byte // nil when NotModified
	FinalURL    string // after redirects
	ContentType string
	// Validators are those to send next time, once the caller has used
	// the body: Fetch records them nowhere itself.
	Validators
}

// StatusError is a non-2xx answer. Callers decide on Code (410: stop polling)
// and RetryAfter (429/503: wait that long).
type StatusError struct {
	URL        string
	Code       int
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("GET %s: %d %s", e.URL, e.Code, http.StatusText(e.Code))
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	switch e.Code {
	case http.StatusNotFound:
		msg += "; the address no longer exists, check the source's url in the config"
	case http.StatusGone:
		msg += "; the site says this address is gone for good"
	case http.StatusUnauthorized, http.StatusForbidden:
		msg += "; the site refuses the bot, the url may need to change or the site blocks automated readers"
	}
	return msg
}

// Fetch sends a conditional GET (If-None-Match / If-Modified-Since from
// prev), decodes gzip, and returns the body with the validators of the
// answer. A zero prev asks unconditionally. Non-2xx answers are returned
// as *StatusError.
//
// The body counts against FetcherOptions.BodyMemory while it is read, not
// after Fetch returns; a caller that parses it should use fetchHeld.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, prev Validators) (*FetchResult, error) {
	res, release, err := f.fetchHeld(ctx, rawURL, prev)
	release()
	return res, err
}

// pollChanged is the opening every single-URL source shares: fetch url with
// prev's validators and, when the body changed, run parse on it in a CPU
// slot while the body still counts against the budget. next carries the
// answer's validators; changed is false for a 304 or an unchanged body. On
// an error next is prev, so nothing of a failed poll is kept.
func (f *Fetcher) pollChanged(ctx context.Context, url string, prev model.SourceState, parse func(*FetchResult) error) (next model.SourceState, changed bool, err error) {
	res, release, err := f.fetchHeld(ctx, url, validatorsOf(prev))
	defer release()
	if err != nil {
		return prev, false, err
	}
	next = prev
	res.Validators.applyTo(&next)
	if res.NotModified {
		return next, false, nil
	}
	releaseSlot, err := cpuslots.Acquire(ctx)
	if err != nil {
		return prev, false, err
	}
	defer releaseSlot()
	if err := parse(res); err != nil {
		return prev, false, err
	}
	return next, true, nil
}

// fetchHeld is Fetch whose body keeps its share of the body budget until
// release is called, which the caller must do (also after an error) once
// it no longer needs the body: after parsing it.
func (f *Fetcher) fetchHeld(ctx context.Context, rawURL string, prev Validators) (_ *FetchResult, release func(), _ error) {
	release = func() {}
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, release, fmt.Errorf("the url %q cannot be read: %v; write it as https://host/path", rawURL, err)
	}
	if err := checkScheme(u); err != nil {
		return nil, release, err
	}
	releaseHost, err := f.acquire(ctx, hostKey(u))
	if err != nil {
		return nil, release, fmt.Errorf("GET %s: %w", u, err)
	}
	defer releaseHost()
	// Opened with a connection slot in hand, so that the oldest hold,
	// which never waits, belongs to a fetch that can finish.
	hold := f.bodies.open()
	release = hold.release

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, release, fmt.Errorf("GET %s: %w", u, err)
	}
	if f.opts.UserAgent != "" {
		req.Header.Set("User-Agent", f.opts.UserAgent)
	}
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5")
	req.Header.Set("Accept-Encoding", "gzip")
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}

	resp, err := f.client.Do(req)
	if err != nil {
		return nil, release, f.describe(u.String(), err)
	}
	defer resp.Body.Close()
	final := resp.Request.URL.String()
	res := &FetchResult{
		StatusCode:  resp.StatusCode,
		FinalURL:    final,
		ContentType: resp.Header.Get("Content-Type"),
	}

	if resp.StatusCode == http.StatusNotModified {
		res.NotModified = true
		// A 304 may carry fresher validators; keep them.
		res.Validators = prev
		if et := resp.Header.Get("ETag"); et != "" {
			res.ETag = et
		}
		if lm := resp.Header.Get("Last-Modified"); lm != "" {
			res.LastModified = lm
		}
		return res, release, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drain a little so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return nil, release, &StatusError{
			URL:        final,
			Code:       resp.StatusCode,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), f.now()),
		}
	}

	body, err := f.readBody(ctx, resp, hold)
	if err != nil {
		return nil, release, f.describe(final, err)
	}
	sum := sha256.Sum256(body)
	res.Validators = Validators{
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		BodyHash:     hex.EncodeToString(sum[:]),
	}
	if prev.BodyHash != "" && prev.BodyHash == res.BodyHash {
		res.NotModified = true
		releaseBody(body)
		release()
		return res, release, nil
	}
	res.Body = body
	return res, release, nil
}

// describe turns transport errors into sentences about the source.
func (f *Fetcher) describe(u string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var pe *privateAddressError
	switch {
	case errors.As(err, &pe):
		return fmt.Errorf("GET %s: %w", u, pe)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("GET %s: %w", u, err)
	case (errors.Is(err, context.DeadlineExceeded) || isTimeout(err)) && f.opts.Timeout > 0:
		return fmt.Errorf("GET %s: no complete answer within %s (timeout): %w", u, f.opts.Timeout, err)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("GET %s: no complete answer in time (timeout): %w", u, err)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return fmt.Errorf("GET %s: the host name %q does not exist; check the url in the config: %w", u, dnsErr.Name, err)
	}
	return fmt.Errorf("GET %s: %w", u, err)
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if err := checkScheme(req.URL); err != nil {
		return err
	}
	next := req.URL.String()
	for _, prev := range via {
		if prev.URL.String() == next {
			return fmt.Errorf("redirect loop: %s leads back to itself after %d redirects; the site is misconfigured or needs cookies", next, len(via))
		}
	}
	if len(via) > f.opts.MaxRedirects {
		return fmt.Errorf("stopped after %d redirects (the next was to %s); point the config at the final address", f.opts.MaxRedirects, next)
	}
	return nil
}

func checkScheme(u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return fmt.Errorf("the url %q has no host; write it as https://host/path", u.String())
		}
		return nil
	}
	return fmt.Errorf("the url %q is not a web address: only http:// and https:// are fetched", u.String())
}

func hostKey(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "443", false: "80"}[strings.EqualFold(u.Scheme, "https")]
	}
	return net.JoinHostPort(host, port)
}

// acquire takes a slot of host's semaphore, or gives up when ctx ends.
func (f *Fetcher) acquire(ctx context.Context, host string) (func(), error) {
	if f.opts.PerHostConcurrency == 0 {
		return func() {}, nil
	}
	f.mu.Lock()
	sem, ok := f.hosts[host]
	if !ok {
		sem = make(chan struct{}, f.opts.PerHostConcurrency)
		f.hosts[host] = sem
	}
	f.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	default:
	}
	f.waiting.Add(1)
	defer f.waiting.Add(-1)
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a free connection to %s: %w", host, ctx.Err())
	}
}

// parseRetryAfter reads both forms of Retry-After: delay-seconds and an
// HTTP-date. Unparseable or past values give 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		const maxSecs = int64(7 * 24 * time.Hour / time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
