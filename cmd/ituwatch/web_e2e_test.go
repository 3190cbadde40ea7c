package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// startDemoWeb runs the real binary's `ituwatch demo --web` on a free loopback
// port, and returns the address it prints and the alerts per topic its
// summary line counted. The demo is interrupted at the end of the test.
func startDemoWeb(t *testing.T) (base string, perTopic map[string]int) {
	t.Helper()
	cmd := exec.Command(ituwatchBinary(t), "demo", "--web", "--web-listen", "127.0.0.1:0")
	stderr := newSyncBuffer()
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the demo: %v", err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Error("the demo did not stop within 10 s of an interrupt")
		}
	})
	found := make(chan string, 1)
	perTopic = map[string]int{}
	counted := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "alerts by topic: "); ok {
				for _, part := range strings.Split(rest, ", ") {
					topic, n, _ := strings.Cut(part, " ×")
					perTopic[topic], _ = strconv.Atoi(n)
				}
				close(counted)
			}
			if u, ok := strings.CutPrefix(line, "web view: "); ok {
				found <- strings.TrimSpace(u)
			}
		}
		io.Copy(io.Discard, out) // the demo must never block on a full pipe
		exited <- cmd.Wait()
	}()
	select {
	case base = <-found:
	case err := <-exited:
		exited <- err
		t.Fatalf("the demo exited before serving the web view (%v):\n%s", err, stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("the demo printed no 'web view: URL' line within 60 s:\n%s", stderr)
	}
	select {
	case <-counted:
	default:
		t.Fatal("the demo printed no 'alerts by topic:' line before serving the web view")
	}
	if u, err := url.Parse(base); err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("web view at %q, want an address on 127.0.0.1", base)
	}
	return strings.TrimRight(base, "/"), perTopic
}

// hostileTitle is the markup the demo's trade-press sample carries in a
// headline (cmd/ituwatch/demo/trade-press.json): it must show as text.
const hostileTitle = `<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=2">`

// What a person sees of `ituwatch demo --web` in a real browser: a chart
// per topic the demo alerted, with as many alerts in its bars as the demo
// counted; a bar that opens its alerts; alert pages with the words that
// matched highlighted; search results that link to alert pages; feed
// markup shown as text, never run; no console errors or policy violations
// on any page; and no sideways scrolling on a phone. Screenshots of the
// timeline and an alert page are left in the temporary directory.
func TestWebViewInABrowser(t *testing.T) {
	exe := findBrowser(t)
	start := time.Now()
	base, perTopic := startDemoWeb(t)
	if len(perTopic) < 5 {
		t.Fatalf("the demo alerted %d topics (%v); the timeline check needs at least 5", len(perTopic), perTopic)
	}
	b := newBrowser(t, exe)

	// The timeline: one chart per topic, whose bars hold the topic's alerts.
	b.do(t, "open the timeline", chromedp.Navigate(base+"/"))
	type chart struct {
		Topic  string `json:"topic"`
		Name   string `json:"name"`
		Bars   int    `json:"bars"`   // bars of non-zero height
		Alerts int    `json:"alerts"` // the counts their labels give
		Zero   int    `json:"zero"`   // labelled bars drawn with no height
	}
	charts := eval[[]chart](t, b, `Array.from(document.querySelectorAll('li.topic-chart')).map(li => {
		const head = li.querySelector('h2 a');
		const topic = new URL(head.href).searchParams.get('topic');
		let bars = 0, alerts = 0, zero = 0;
		li.querySelectorAll('svg a').forEach(a => {
			const bar = a.querySelector('rect.bar');
			const h = bar ? bar.getBoundingClientRect().height : 0;
			const m = (a.getAttribute('aria-label') || '').match(/: (\d+) alerts? in week/);
			if (h > 0) { bars++; } else { zero++; }
			if (m) { alerts += Number(m[1]); }
		});
		return {topic, name: head.textContent, bars, alerts, zero};
	})`)
	seen := map[string]chart{}
	for _, c := range charts {
		seen[c.Topic] = c
		if _, ok := perTopic[c.Topic]; !ok {
			t.Errorf("the timeline has a chart for %s (%q), which the demo never alerted", c.Topic, c.Name)
		}
	}
	for topic, n := range perTopic {
		c, ok := seen[topic]
		switch {
		case !ok:
			t.Errorf("the timeline has no chart for %s, which the demo alerted %d times; charts: %+v", topic, n, charts)
		case c.Bars == 0:
			t.Errorf("the %s chart (%q) draws no bar", topic, c.Name)
		case c.Alerts != n:
			t.Errorf("the %s chart's bars hold %d alerts, the demo counted %d", topic, c.Alerts, n)
		}
		if c.Zero > 0 {
			t.Errorf("the %s chart has %d bars drawn with no height", topic, c.Zero)
		}
	}
	b.clean(t, "timeline")
	shot(t, b, "timeline")

	// A bar opens the list of its alerts: the busiest topic's.
	busiest := ""
	for topic, n := range perTopic {
		if busiest == "" || n > perTopic[busiest] || n == perTopic[busiest] && topic < busiest {
			busiest = topic
		}
	}
	barSel := fmt.Sprintf(`li.topic-chart:has(h2 a[href$="topic=%s"]) svg a`, busiest)
	label := eval[string](t, b, fmt.Sprintf(`document.querySelector(%q).getAttribute('aria-label')`, barSel))
	want, _ := strconv.Atoi(regexp.MustCompile(`: (\d+) alerts? in week`).FindStringSubmatch(label + ": 0 alerts in week")[1])
	b.do(t, "click a bar of "+busiest, chromedp.Click(chromedp.CSS(barSel)), chromedp.WaitVisible(chromedp.CSS("main ol.alerts")))
	barPage := eval[string](t, b, `location.pathname + location.search`)
	if !strings.Contains(barPage, "topic="+busiest) || !strings.Contains(barPage, "week=") {
		t.Errorf("the bar led to %s, not the week's alerts on %s", barPage, busiest)
	}
	listed := eval[[]string](t, b, `Array.from(document.querySelectorAll('main ol.alerts > li h2 a')).map(a => a.getAttribute('href'))`)
	if len(listed) != want || want == 0 {
		t.Errorf("the bar %q lists %d alerts: %q", label, len(listed), listed)
	}
	for _, href := range listed {
		if !regexp.MustCompile(`^/alerts/\d+$`).MatchString(href) {
			t.Errorf("a listed alert links %q, not its page", href)
		}
	}
	b.clean(t, "the alerts of a bar")

	// The keyboard reaches a bar too: focus the quietest topic's bar and
	// press Enter.
	quietest := busiest
	for topic, n := range perTopic {
		if n < perTopic[quietest] || n == perTopic[quietest] && topic > quietest {
			quietest = topic
		}
	}
	quietSel := fmt.Sprintf(`li.topic-chart:has(h2 a[href$="topic=%s"]) svg a`, quietest)
	b.do(t, "open the timeline again", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(quietSel)))
	b.do(t, "focus a bar of "+quietest, chromedp.Focus(chromedp.CSS(quietSel)))
	if focused := eval[bool](t, b, fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, quietSel)); !focused {
		t.Errorf("the bar of %s cannot take the keyboard's focus", quietest)
	} else {
		b.do(t, "press Enter on it", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("main ol.alerts")))
		if loc := eval[string](t, b, `location.search`); !strings.Contains(loc, "topic="+quietest) {
			t.Errorf("Enter on the bar of %s led to %s", quietest, loc)
		}
	}
	b.clean(t, "a bar by keyboard")

	// An alert page, reached from the bar's list: the matched words
	// highlighted.
	if len(listed) > 0 {
		b.do(t, "open "+listed[0], chromedp.Navigate(base+barPage), chromedp.Click(chromedp.CSS("main ol.alerts > li h2 a")), chromedp.WaitVisible(chromedp.CSS("article.alert h1")))
		id := strings.TrimPrefix(listed[0], "/alerts/")
		if k := eval[string](t, b, `document.querySelector('article.alert .kicker').textContent`); !strings.HasPrefix(k, "Alert #"+id+" ") {
			t.Errorf("%s shows %q, not alert #%s", listed[0], k, id)
		}
		marks := eval[[]string](t, b, `Array.from(document.querySelectorAll('article.alert blockquote mark')).map(m => m.textContent)`)
		if len(marks) == 0 {
			t.Errorf("alert %s highlights no matched words in its quotations:\n%s", id, eval[string](t, b, `document.querySelector('article.alert').innerText`))
		}
		for _, m := range marks {
			if strings.TrimSpace(m) == "" {
				t.Errorf("alert %s highlights an empty word: %q", id, marks)
			}
		}
		if bg := eval[string](t, b, `getComputedStyle(document.querySelector('article.alert mark')).backgroundColor`); bg == "rgba(0, 0, 0, 0)" || bg == "transparent" {
			t.Errorf("a highlighted word on alert %s has no background (%s): it does not stand out", id, bg)
		}
		b.clean(t, "alert "+id)
		shot(t, b, "alert")
	}

	// Search finds the hostile headline; its result links to the alert page,
	// where the markup is text and nothing ran.
	b.do(t, "search",
		chromedp.Navigate(base+"/search"),
		chromedp.SendKeys(chromedp.ID("q"), "streaming platforms"),
		chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitVisible(chromedp.ID("results")),
	)
	results := eval[[]string](t, b, `Array.from(document.querySelectorAll('main ol.alerts > li h3 a')).map(a => a.getAttribute('href') + ' ' + a.textContent)`)
	if len(results) == 0 {
		t.Fatalf("search for \"streaming platforms\" found nothing:\n%s", eval[string](t, b, `document.querySelector('main').innerText`))
	}
	href, text, _ := strings.Cut(results[0], " ")
	if !regexp.MustCompile(`^/alerts/\d+$`).MatchString(href) {
		t.Errorf("the search result links %q, not an alert page", href)
	}
	if !strings.Contains(text, hostileTitle) {
		t.Errorf("the search result's title %q does not show the feed's markup as text", text)
	}
	b.clean(t, "search results")
	b.do(t, "open the search result", chromedp.Click(chromedp.CSS("main ol.alerts > li h3 a")), chromedp.WaitVisible(chromedp.CSS("article.alert h1")))
	if loc := eval[string](t, b, `location.pathname`); loc != href {
		t.Errorf("the search result led to %s, want %s", loc, href)
	}
	if h1 := eval[string](t, b, `document.querySelector('article.alert h1').textContent`); !strings.Contains(h1, hostileTitle) {
		t.Errorf("the alert page's title %q does not show the feed's markup as text", h1)
	}
	if n := eval[int](t, b, `document.querySelectorAll('main script, main img, script:not([src]), [onerror]').length`); n != 0 {
		t.Errorf("the hostile headline became %d elements:\n%s", n, eval[string](t, b, `document.querySelector('main').innerHTML`))
	}
	if pwned := eval[bool](t, b, `typeof window.__pwned !== 'undefined'`); pwned {
		t.Error("the hostile headline's script ran: window.__pwned is set")
	}
	b.clean(t, "the hostile alert")
	shot(t, b, "alert-hostile")

	// Every page on a phone: no sideways scrolling, nothing in the console.
	b.do(t, "be a phone", chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch))
	for _, p := range []string{"/", barPage, href, listed0(listed), "/search?q=Resolution+102", "/documents", "/sources", "/rules", "/rules/test?text=New+IP+at+TSAG"} {
		if p == "" {
			continue
		}
		b.do(t, "open "+p+" on a phone", chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if status := eval[string](t, b, `document.title`); strings.HasPrefix(status, "Not found") || strings.Contains(status, "error") {
			t.Errorf("%s on a phone: %q", p, status)
		}
		b.noHorizontalScroll(t, p)
		b.clean(t, p+" on a phone")
		if p == "/" {
			shot(t, b, "timeline-phone")
		}
	}
	// Bounded by the waits above (60 s for the demo, 10 s a step), not by
	// a total, which a slow CI box would turn into a flaky failure.
	t.Logf("demo and browser took %s", time.Since(start).Round(100*time.Millisecond))
}

func listed0(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

// shot saves what the browser shows to ituwatch-web-NAME.png in the
// temporary directory, for people to look at; it is not compared.
func shot(t *testing.T, b *browser, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot of %s: %v", name, err)
		return
	}
	path := filepath.Join(os.TempDir(), "ituwatch-web-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("save the screenshot: %v", err)
		return
	}
	t.Logf("screenshot of the %s: %s", name, path)
}
