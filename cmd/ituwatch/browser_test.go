package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The browser tests drive a real headless Chromium. They find it as
// ITUWATCH_CHROMIUM names it, else as chromium, chromium-browser or
// google-chrome on PATH; without one they are skipped, unless
// ITUWATCH_TEST_REQUIRE_BROWSER=1 (CI, see .ci/chromium.sh), which fails
// them instead.
func findBrowser(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ITUWATCH_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("ITUWATCH_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no Chromium found for the browser tests: install it (apt-get install -y chromium) or set ITUWATCH_CHROMIUM to its path"
	if os.Getenv("ITUWATCH_TEST_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + " (ITUWATCH_TEST_REQUIRE_BROWSER=1 makes this a failure)")
	}
	t.Skip(msg)
	return ""
}

// browser is one headless tab, with what the pages it loads say in the
// console: errors, uncaught exceptions, and the Content-Security-Policy
// violations a listener added to every document records in
// window.__cspViolations (which the console reports too, as errors).
type browser struct {
	ctx context.Context

	mu       sync.Mutex
	problems []string // console errors and exceptions, as the console shows them
}

// cspWatch runs in every document before the page's own markup: it keeps
// each violation of the page's Content-Security-Policy. DevTools injects it,
// so the policy does not apply to it.
const cspWatch = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
	window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at line ' + e.lineNumber);
});`

// newBrowser starts Chromium (as root, without its sandbox, which needs
// user namespaces a container may not give; with /dev/shm unused) for the
// length of the test.
func newBrowser(t *testing.T, exe string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	b := &browser{ctx: ctx}
	// The first Do starts the browser and binds its life to the context it
	// is given: that one has no deadline, a timer ends a start that hangs.
	hung := time.AfterFunc(30*time.Second, cancelCtx)
	err := chromedp.Do(ctx)
	hung.Stop()
	if err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch}); err != nil {
		t.Fatalf("add the CSP listener: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.problems = append(b.problems, m.URL+": "+m.Text)
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// do runs steps with a deadline, failing the test on an error.
func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// clean fails the test if the page so far wrote errors to the console,
// threw, or broke its Content-Security-Policy; then forgets them, so each
// page is judged on its own.
func (b *browser) clean(t *testing.T, page string) {
	t.Helper()
	violations := eval[[]string](t, b, `window.__cspViolations || []`)
	// Console messages arrive on their own; give the last ones a moment.
	time.Sleep(100 * time.Millisecond)
	b.mu.Lock()
	problems := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, v := range violations {
		t.Errorf("%s: Content-Security-Policy violation: %s", page, v)
	}
	for _, p := range problems {
		t.Errorf("%s: console: %s", page, p)
	}
}

// phoneWidth and phoneHeight are a phone's window (CSS pixels).
const phoneWidth, phoneHeight = 390, 844

// noHorizontalScroll fails the test when the page is wider than a phone.
// A mobile browser zooms out to fit a page that is too wide, so the window
// then reports the page's width: the phone's own width is the measure.
func (b *browser) noHorizontalScroll(t *testing.T, page string) {
	t.Helper()
	if w := eval[int](t, b, `document.documentElement.scrollWidth`); w > phoneWidth {
		// Name the outermost elements that stick out, to say what to fix.
		wide := eval[[]string](t, b, fmt.Sprintf(`Array.from(document.querySelectorAll('body *'))
			.filter(e => e.getBoundingClientRect().right > %d && !(e.parentElement && e.parentElement.getBoundingClientRect().right > %d))
			.slice(0, 5).map(e => '<' + e.tagName.toLowerCase() + (e.className ? ' class="' + e.className + '"' : '') + '> ends at ' + Math.round(e.getBoundingClientRect().right) + ' px')`, phoneWidth, phoneWidth))
		t.Errorf("%s scrolls sideways on a phone: %d px of content in a %d px window; too wide: %s", page, w, phoneWidth, strings.Join(wide, "; "))
	}
}

// The checks the web view's browser test relies on must be able to fail:
// a page with an inline script under a strict policy, one that writes an
// error to the console, and one wider than a phone are each caught.
func TestBrowserChecksCatchProblems(t *testing.T) {
	exe := findBrowser(t)
	srv := newPageServer(map[string]string{
		"/inline":          `<!doctype html><title>x</title><p>hi</p><script>window.__pwned=1</script>`,
		"/error":           `<!doctype html><title>x</title><script src="/static/err.js"></script>`,
		"/wide":            `<!doctype html><title>x</title><meta name="viewport" content="width=device-width"><link rel="stylesheet" href="/static/wide.css"><div class="wide">wide</div>`,
		"/static/wide.css": `.wide { width: 900px }`,
		"/static/err.js":   `console.error("something broke")`,
	})
	defer srv.Close()
	b := newBrowser(t, exe)

	b.do(t, "open /inline", chromedp.Navigate(srv.URL+"/inline"))
	if v := eval[[]string](t, b, `window.__cspViolations`); len(v) == 0 || !strings.Contains(v[0], "script-src") {
		t.Errorf("an inline script under script-src 'self' was not reported as a violation: %q", v)
	}
	if eval[bool](t, b, `window.__pwned !== undefined`) {
		t.Error("the inline script ran despite the policy")
	}
	b.do(t, "open /error", chromedp.Navigate(srv.URL+"/error"))
	time.Sleep(200 * time.Millisecond)
	b.mu.Lock()
	got := strings.Join(b.problems, "\n")
	b.problems = nil
	b.mu.Unlock()
	if !strings.Contains(got, "something broke") {
		t.Errorf("console.error was not caught; caught %q", got)
	}
	b.do(t, "open /wide", chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile), chromedp.Navigate(srv.URL+"/wide"))
	if w := eval[int](t, b, `document.documentElement.scrollWidth`); w <= phoneWidth {
		t.Errorf("a 900 px block on a phone: scrollWidth %d", w)
	}
}

// newPageServer serves fixed pages under a policy like the web view's.
func newPageServer(pages map[string]string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'")
		switch {
		case strings.HasSuffix(r.URL.Path, ".js"):
			w.Header().Set("Content-Type", "text/javascript")
		case strings.HasSuffix(r.URL.Path, ".css"):
			w.Header().Set("Content-Type", "text/css")
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		io.WriteString(w, body)
	}))
}
