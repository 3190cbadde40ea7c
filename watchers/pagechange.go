package watchers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/ituwatch/ituwatch/internal/cpuslots"
	"github.com/ituwatch/ituwatch/model"
)

// ErrNoPageText is wrapped when the watched part of a page holds no text.
var ErrNoPageText = errors.New("no text found on the page")

type pageSource struct {
	id, url  string
	fetcher  *Fetcher
	selector string
	now      func() time.Time
}

// NewPageSource watches a page that changes rather than publishes (a focus
// group's home page, a consultation page). selector, a CSS selector, names
// the part to watch; "" picks the page's main content. The first poll records
// the page; later polls emit one item with the lines added since.
func NewPageSource(id, url string, f *Fetcher, selector string) Source {
	return &pageSource{id: id, url: url, fetcher: f, selector: strings.TrimSpace(selector), now: time.Now}
}

func (s *pageSource) ID() string { return s.id }

// Poll compares the page's text with state.PageText. A change that only
// removes lines moves the baseline without an item: readers want to hear
// about a new meeting or call for input, not about an expired one.
func (s *pageSource) Poll(ctx context.Context, state *model.SourceState) ([]model.Item, error) {
	before := *state
	res, err := s.fetcher.Fetch(ctx, s.url, state)
	if err != nil {
		return nil, err
	}
	if res.NotModified {
		return nil, nil
	}
	release, err := cpuslots.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	title, text, err := ExtractMainText(res.Body, s.selector)
	release()
	if err != nil {
		// Keep the old validators so the same page fails again (and shows
		// in status) instead of passing as "not modified" next time.
		state.ETag, state.LastModified, state.BodyHash = before.ETag, before.LastModified, before.BodyHash
		return nil, fmt.Errorf("read page %s: %w", s.url, err)
	}
	old := state.PageText
	state.PageText = text
	if old == "" {
		return []model.Item{}, nil
	}
	added, removed := AddedLines(old, text)
	if len(added) == 0 {
		return []model.Item{}, nil
	}
	content := strings.Join(added, "\n")
	sum := sha256.Sum256([]byte(content))
	if title == "" {
		title = s.url
	}
	return []model.Item{{
		SourceID:  s.id,
		ID:        hex.EncodeToString(sum[:16]),
		Title:     "Page updated: " + title,
		Link:      s.url,
		Published: s.now().UTC(),
		Summary:   fmt.Sprintf("%s added, %d removed", plural(len(added), "line"), removed),
		Content:   content,
	}}, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// pageNoise is what is never the content of a page: scripts, menus, site
// banners and footers (whose dates and counters change on every visit),
// forms. Headers and footers inside an article or section are content.
const pageNoise = `script, style, noscript, template, iframe, svg, object, nav, form, ` +
	`[role=navigation], [role=banner], [role=contentinfo], [role=search], ` +
	`#footer, .footer, #header, #nav, #navigation, .breadcrumb, #breadcrumb, .skip-link`

const pageNoiseLandmarks = `header, footer`

// pageMainCandidates are the containers sites put their main text in.
const pageMainCandidates = `main, [role=main], article, #content, #main, #main-content, .main-content, #maincontent, .content`

// "Last updated: 3 March 2025" and copyright lines change without anything a
// reader would want to hear about.
var (
	pageUpdatedLine   = regexp.MustCompile(`(?i)^(?:page\s+|this page was\s+)?(?:last\s+)?(?:updated|modified|reviewed|changed)\b`)
	pageCopyrightLine = regexp.MustCompile(`(?i)^(?:©|\(c\)|copyright\b)`)
)

func isPageBoilerplate(line string) bool {
	if len(line) > 100 {
		return false
	}
	return pageCopyrightLine.MatchString(line) || pageUpdatedLine.MatchString(line) && listingDate.MatchString(line)
}

// ExtractMainText returns a page's title and the text of its watched part as
// lines: the elements matched by selector, or else the largest main-content
// container (main, article, #content), without menus, banners, footers,
// scripts and forms.
func ExtractMainText(body []byte, selector string) (title, text string, err error) {
	var sel cascadia.Selector
	if selector != "" {
		sel, err = cascadia.Compile(selector)
		if err != nil {
			return "", "", fmt.Errorf("the selector %q is not valid CSS (%v); write one like \"#content\" or \"div.meetings\"", selector, err)
		}
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return "", "", fmt.Errorf("read the page as HTML: %w", err)
	}
	title = cellText(doc.Find("title").First())
	if title == "" {
		title = cellText(doc.Find("h1").First())
	}

	doc.Find(pageNoise).Remove()
	doc.Find(pageNoiseLandmarks).Not("article *, section *, main *").Remove()

	var root *goquery.Selection
	if selector != "" {
		root = doc.FindMatcher(sel)
		if root.Length() == 0 {
			return title, "", fmt.Errorf("%w: the selector %q matches nothing; check it against the page, or leave it empty to watch the main content", ErrNoPageText, selector)
		}
	} else {
		// One <main> is the page's own statement of where its content is;
		// without it the largest candidate wins over teasers and sidebars.
		if m := doc.Find("main, [role=main]").First(); len(cellText(m)) > 0 {
			root = m
		} else {
			best := 0
			doc.Find(pageMainCandidates).Each(func(_ int, s *goquery.Selection) {
				if n := len(cellText(s)); n > best {
					root, best = s, n
				}
			})
		}
		if root == nil {
			root = doc.Find("body")
		}
	}

	var lines []string
	root.Each(func(_ int, s *goquery.Selection) {
		for _, line := range pageLines(s) {
			if !isPageBoilerplate(line) {
				lines = append(lines, line)
			}
		}
	})
	if len(lines) == 0 {
		return title, "", fmt.Errorf("%w: the watched part of the page is empty", ErrNoPageText)
	}
	return title, strings.Join(lines, "\n"), nil
}

// AddedLines compares two versions of a page's text line by line: added are
// the lines of new that old does not have (as many times as they are new), in
// page order; removed counts old's lines that are gone. Lines that only moved
// are neither.
func AddedLines(old, new string) (added []string, removed int) {
	have := map[string]int{}
	for _, l := range strings.Split(old, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			have[l]++
		}
	}
	for _, l := range strings.Split(new, "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if have[l] > 0 {
			have[l]--
			continue
		}
		added = append(added, l)
	}
	for _, n := range have {
		removed += n
	}
	return added, removed
}

// pageBlocks end a line of page text. Table cells do not: a row of a meeting
// table reads best as one line.
var pageBlocks = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "br": true, "dd": true,
	"details": true, "div": true, "dl": true, "dt": true, "fieldset": true, "figcaption": true,
	"figure": true, "footer": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true,
	"h6": true, "header": true, "hr": true, "li": true, "main": true, "ol": true, "p": true,
	"pre": true, "section": true, "summary": true, "table": true, "tbody": true, "thead": true,
	"tfoot": true, "tr": true, "ul": true, "caption": true, "body": true, "html": true,
}

var pageSkip = map[string]bool{"script": true, "style": true, "noscript": true, "template": true, "head": true}

// writeNodeText writes the text under n; block elements write sep around
// their text, table cells a space.
func writeNodeText(n *html.Node, b *strings.Builder, sep byte) {
	switch n.Type {
	case html.TextNode:
		// Line ends in HTML source are spaces; only markup breaks lines.
		b.WriteString(strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == '\t' || r == '\f' {
				return ' '
			}
			return r
		}, n.Data))
		return
	case html.ElementNode:
		if pageSkip[n.Data] {
			return
		}
	}
	block := n.Type == html.ElementNode && pageBlocks[n.Data]
	cell := n.Type == html.ElementNode && (n.Data == "td" || n.Data == "th")
	if block {
		b.WriteByte(sep)
	} else if cell {
		b.WriteByte(' ')
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		writeNodeText(c, b, sep)
	}
	if block {
		b.WriteByte(sep)
	} else if cell {
		b.WriteByte(' ')
	}
}

// cellText is the text of a selection on one line, spaces collapsed, <br>
// and blocks read as spaces.
func cellText(s *goquery.Selection) string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	for _, n := range s.Nodes {
		writeNodeText(n, &b, ' ')
		b.WriteByte(' ')
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// pageLines is the text of a selection as trimmed, non-empty lines.
func pageLines(s *goquery.Selection) []string {
	var b strings.Builder
	for _, n := range s.Nodes {
		writeNodeText(n, &b, '\n')
		b.WriteByte('\n')
	}
	var lines []string
	for _, l := range strings.Split(b.String(), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}
