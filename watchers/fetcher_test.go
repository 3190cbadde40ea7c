package watchers

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

func testFetcher(opts FetcherOptions) *Fetcher {
	opts.AllowPrivateNetworks = true // httptest listens on 127.0.0.1
	if opts.UserAgent == "" {
		opts.UserAgent = "ituwatch/test (+https://github.com/ituwatch/ituwatch)"
	}
	return NewFetcher(opts)
}

func TestFetchConditionalGET(t *testing.T) {
	const etag = `"v1"`
	const lastMod = "Wed, 11 Mar 2026 08:30:00 GMT"
	var sawINM, sawIMS atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawINM.Store(r.Header.Get("If-None-Match"))
		sawIMS.Store(r.Header.Get("If-Modified-Since"))
		if !strings.HasPrefix(r.Header.Get("User-Agent"), "ituwatch/") || !strings.Contains(r.Header.Get("Accept"), "rss") {
			http.Error(w, "bad headers", http.StatusBadRequest)
			return
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write([]byte(mustRead(t, "testdata/feeds/rss2.xml")))
	}))
	defer srv.Close()

	src := NewFeedSource("desk", srv.URL, testFetcher(FetcherOptions{}))
	items, st, err := src.Poll(context.Background(), model.SourceState{})
	if err != nil || len(items) == 0 {
		t.Fatalf("first poll: %d items, %v", len(items), err)
	}
	if st.ETag != etag || st.LastModified != lastMod || st.BodyHash == "" {
		t.Fatalf("validators not recorded: %+v", st)
	}
	items, _, err = src.Poll(context.Background(), st)
	if err != nil || items != nil {
		t.Fatalf("second poll: items %v, err %v; want nil, nil", items, err)
	}
	if sawINM.Load() != etag || sawIMS.Load() != lastMod {
		t.Errorf("second poll sent If-None-Match %q, If-Modified-Since %q", sawINM.Load(), sawIMS.Load())
	}
}

func TestFetchSameBodyWithoutValidators(t *testing.T) {
	body := "<rss version=\"2.0\"><channel><title>x</title></channel></rss>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{})
	res, err := f.Fetch(context.Background(), srv.URL, Validators{})
	if err != nil || res.NotModified || string(res.Body) != body {
		t.Fatalf("first fetch: %+v, %v", res, err)
	}
	res, err = f.Fetch(context.Background(), srv.URL, res.Validators)
	if err != nil || !res.NotModified || res.Body != nil {
		t.Fatalf("second fetch: %+v, %v; want NotModified and no body", res, err)
	}
	body += " "
	res, err = f.Fetch(context.Background(), srv.URL, res.Validators)
	if err != nil || res.NotModified {
		t.Fatalf("changed body reported as not modified: %+v, %v", res, err)
	}
}

func gzipped(t *testing.T, write func(w *gzip.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	write(zw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFetchGzip(t *testing.T) {
	plain := mustRead(t, "testdata/feeds/atom.xml")
	gz := gzipped(t, func(w *gzip.Writer) { _, _ = w.Write([]byte(plain)) })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			_, _ = w.Write([]byte(plain))
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(gz)
	}))
	defer srv.Close()
	res, err := testFetcher(FetcherOptions{}).Fetch(context.Background(), srv.URL, Validators{})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != plain {
		t.Errorf("body not decoded: %d bytes, starts %q", len(res.Body), res.Body[:min(20, len(res.Body))])
	}
}

func TestFetchBodyCaps(t *testing.T) {
	const limit = 64 << 10
	bomb := gzipped(t, func(w *gzip.Writer) {
		zeros := make([]byte, 1<<20)
		for range 8 { // 8 MiB of zeros in a few KiB
			_, _ = w.Write(zeros)
		}
	})
	if len(bomb) > limit {
		t.Fatalf("test bomb is %d bytes compressed, must be below the cap to test decompressed size", len(bomb))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/bomb":
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(bomb)
		case "/big":
			_, _ = w.Write(bytes.Repeat([]byte("a"), limit+1))
		case "/exact":
			_, _ = w.Write(bytes.Repeat([]byte("a"), limit))
		}
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{MaxBodyBytes: limit})
	for _, path := range []string{"/bomb", "/big"} {
		res, err := f.Fetch(context.Background(), srv.URL+path, Validators{BodyHash: "old"})
		if !errors.Is(err, ErrBodyTooLarge) {
			t.Errorf("%s: err = %v, want ErrBodyTooLarge", path, err)
		}
		if res != nil {
			t.Errorf("%s: a failed fetch returned validators to keep: %+v", path, res.Validators)
		}
	}
	if _, err := f.Fetch(context.Background(), srv.URL+"/exact", Validators{}); err != nil {
		t.Errorf("body of exactly the limit: %v", err)
	}
}

func TestFetchRedirects(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/loop-a":
			http.Redirect(w, r, "/loop-b", http.StatusFound)
		case r.URL.Path == "/loop-b":
			http.Redirect(w, r, "/loop-a", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/chain/"):
			var n int
			fmt.Sscanf(r.URL.Path, "/chain/%d", &n)
			if n == 0 {
				_, _ = w.Write([]byte("done"))
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/chain/%d", n-1), http.StatusMovedPermanently)
		case r.URL.Path == "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		}
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{MaxRedirects: 5})
	ctx := context.Background()

	_, err := f.Fetch(ctx, srv.URL+"/loop-a", Validators{})
	if err == nil || !strings.Contains(err.Error(), "redirect loop") {
		t.Errorf("loop: err = %v, want a redirect loop error", err)
	}
	res, err := f.Fetch(ctx, srv.URL+"/chain/5", Validators{})
	if err != nil || res.FinalURL != srv.URL+"/chain/0" {
		t.Errorf("5 redirects: %+v, %v; want success at /chain/0", res, err)
	}
	_, err = f.Fetch(ctx, srv.URL+"/chain/6", Validators{})
	if err == nil || !strings.Contains(err.Error(), "stopped after 5 redirects") {
		t.Errorf("6 redirects: err = %v, want \"stopped after 5 redirects\"", err)
	}
	if _, err = f.Fetch(ctx, srv.URL+"/to-file", Validators{}); err == nil || !strings.Contains(err.Error(), "only http") {
		t.Errorf("redirect to file: err = %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"120", 2 * time.Minute},
		{" 30 ", 30 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"", 0},
		{"soon", 0},
		{"Fri, 10 Apr 2026 12:05:00 GMT", 5 * time.Minute},
		{"Friday, 10-Apr-26 13:00:00 GMT", time.Hour},
		{"Fri Apr 10 12:00:30 2026", 30 * time.Second},
		{"Fri, 10 Apr 2026 11:00:00 GMT", 0}, // in the past
		{"99999999999", 7 * 24 * time.Hour},  // absurd values are capped
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestFetchStatusError(t *testing.T) {
	now := time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/busy":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/slow-down":
			w.Header().Set("Retry-After", now.Add(10*time.Minute).Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{})
	f.now = func() time.Time { return now }
	tests := []struct {
		path  string
		code  int
		after time.Duration
		text  string
	}{
		{"/busy", 503, 2 * time.Minute, "GET " + srv.URL + "/busy: 503 Service Unavailable (retry after 2m0s)"},
		{"/slow-down", 429, 10 * time.Minute, "429 Too Many Requests (retry after 10m0s)"},
		{"/missing", 404, 0, "404 Not Found; the address no longer exists"},
	}
	for _, tt := range tests {
		res, err := f.Fetch(context.Background(), srv.URL+tt.path, Validators{ETag: "keep"})
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("%s: err = %v, want *StatusError", tt.path, err)
		}
		if se.Code != tt.code || se.RetryAfter != tt.after || !strings.Contains(se.Error(), tt.text) {
			t.Errorf("%s: got %d %v %q", tt.path, se.Code, se.RetryAfter, se.Error())
		}
		if res != nil {
			t.Errorf("%s: a failed fetch returned validators to keep: %+v", tt.path, res.Validators)
		}
	}
}

func TestPerHostLimit(t *testing.T) {
	const limit, requests = 2, 6
	var inflight, peak atomic.Int32
	arrived := make(chan struct{}, requests)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		arrived <- struct{}{}
		<-release
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{PerHostConcurrency: limit})

	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.Fetch(context.Background(), srv.URL, Validators{})
			errs <- err
		}()
	}
	for range limit {
		<-arrived
	}
	// The other requests must now be queued in the fetcher, not at the server.
	deadline := time.After(10 * time.Second)
	for f.waiting.Load() < requests-limit {
		select {
		case <-deadline:
			t.Fatalf("only %d requests waiting for the host, %d at the server", f.waiting.Load(), inflight.Load())
		default:
			runtime.Gosched()
		}
	}
	if got := inflight.Load(); got != limit {
		t.Errorf("%d requests at the server, want %d", got, limit)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if p := peak.Load(); p > limit {
		t.Errorf("peak of %d concurrent requests to one host, limit %d", p, limit)
	}
}

func TestFetchWaitForHostHonoursContext(t *testing.T) {
	f := testFetcher(FetcherOptions{PerHostConcurrency: 1})
	release, err := f.acquire(context.Background(), "example.org:443")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Fetch(ctx, "https://example.org/feed", Validators{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// Buffers of unchanged bodies are reused: a body handed to the caller must
// never change under it, however many fetches follow.
func TestFetchBodiesSurviveBufferReuse(t *testing.T) {
	var mu sync.Mutex
	current := strings.Repeat("a", 3000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_, _ = w.Write([]byte(current))
	}))
	defer srv.Close()
	set := func(s string) { mu.Lock(); current = s; mu.Unlock() }
	f := testFetcher(FetcherOptions{})
	ctx := context.Background()
	first, err := f.Fetch(ctx, srv.URL, Validators{})
	if err != nil || first.NotModified {
		t.Fatalf("first fetch: %v", err)
	}
	kept := first.Body
	for range 5 { // unchanged: their buffers go back for reuse
		if res, err := f.Fetch(ctx, srv.URL, first.Validators); err != nil || !res.NotModified {
			t.Fatalf("unchanged fetch: %+v, %v", res, err)
		}
	}
	set(strings.Repeat("b", 2000))
	changed, err := f.Fetch(ctx, srv.URL, Validators{})
	if err != nil || string(changed.Body) != strings.Repeat("b", 2000) {
		t.Fatalf("a fetch into a reused buffer read %q..., %v", changed.Body[:min(10, len(changed.Body))], err)
	}
	set(strings.Repeat("c", 1000))
	other := changed.Validators
	for range 3 {
		res, err := f.Fetch(ctx, srv.URL, other)
		if err != nil {
			t.Fatal(err)
		}
		other = res.Validators
	}
	if string(kept) != strings.Repeat("a", 3000) || string(changed.Body) != strings.Repeat("b", 2000) {
		t.Error("a body returned to the caller was overwritten by a later fetch")
	}
}

// Zero options set no limits, as in net/http: ituwatch always passes its
// config's values, and the fetcher keeps no defaults of its own.
func TestFetcherZeroOptionsSetNoLimits(t *testing.T) {
	const requests = 4
	big := bytes.Repeat([]byte("x"), 11<<20) // more than any cap ituwatch has had by default
	arrived, release := make(chan struct{}, requests), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = w.Write(big)
			return
		}
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{})

	res, err := f.Fetch(context.Background(), srv.URL+"/big", Validators{})
	if err != nil || len(res.Body) != len(big) {
		t.Fatalf("an 11 MiB body with no MaxBodyBytes: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make(chan error, requests)
	for range requests {
		go func() {
			_, err := f.Fetch(ctx, srv.URL+"/slow", Validators{})
			errs <- err
		}()
	}
	for i := range requests {
		select {
		case <-arrived:
		case <-ctx.Done():
			t.Fatalf("%d of %d requests to one host reached it; with no PerHostConcurrency all should", i, requests)
		}
	}
	close(release)
	for range requests {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
