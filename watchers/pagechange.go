package watchers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/ituwatch/ituwatch/internal/words"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/textdiff"
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

// Poll compares the page's text with prev.PageText. A change that only
// removes lines moves the baseline without an item: readers want to hear
// about a new meeting or call for input, not about an expired one. The
// state it returns has a Warning when the watched text looks like the wrong
// part of the page, and none when it does not: the page still works, but
// silence from it would mean little.
func (s *pageSource) Poll(ctx context.Context, prev model.SourceState) ([]model.Item, model.SourceState, error) {
	var page Page
	next, changed, err := s.fetcher.pollChanged(ctx, s.url, prev, func(res *FetchResult) (err error) {
		if page, err = ExtractPage(res.Body, s.selector); err != nil {
			return fmt.Errorf("read page %s: %w", s.url, err)
		}
		return nil
	})
	if err != nil || !changed {
		return nil, next, err
	}
	title, text := page.Title, page.Text
	next.Warning = page.Warning
	// A baseline without the current format's mark was read by an older
	// ituwatch, which dropped a page's <form> and with it all of an ASP.NET
	// page's content: comparing with it would report the whole page as new.
	old, current := strings.CutPrefix(prev.PageText, pageTextFormat)
	next.PageText = pageTextFormat + text
	if old == "" || !current {
		return []model.Item{}, next, nil
	}
	added, removed := AddedLines(old, text)
	if len(added) == 0 {
		return []model.Item{}, next, nil
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
		Summary:   fmt.Sprintf("%s added, %d removed", words.Plural(len(added), "line"), removed),
		Content:   content,
		Diff:      textdiff.Compare(old, text),
	}}, next, nil
}

// pageTextFormat starts every stored baseline. Change it when what
// ExtractPage reads changes enough that old baselines would read as news.
const pageTextFormat = "[page text v2]\n"

// Below these a page's watched text is probably not its content: a few words
// ("Coming soon"), or a list of links as menus and landing pages are, whose
// links are a word or three ("Meetings", "Join ITU-T"). A list of long link
// titles (consultations, reports) is content.
const (
	pageTinyText      = 200
	pageLinkyPercent  = 70
	pageMenuLinkChars = 30
)

// Page is what a page source watches on one page.
type Page struct {
	Title string
	Text  string // the watched part as lines
	// Warning says, in words for the person who configured the source, why
	// Text is probably not the content they meant to watch; "" when it is.
	Warning string
}

// ExtractMainText returns a page's title and the text of its watched part as
// lines; see ExtractPage.
func ExtractMainText(body []byte, selector string) (title, text string, err error) {
	p, err := ExtractPage(body, selector)
	return p.Title, p.Text, err
}

// ExtractPage reads the watched part of a page: the elements selector matches
// in the page as served, or else its main content container (main, article,
// #content, SharePoint's main placeholder), without scripts, form controls,
// menus, banners and footers. A form is removed only when it is small, as a
// search or sign-up box is: ASP.NET pages wrap their whole body in one.
func ExtractPage(body []byte, selector string) (Page, error) {
	var sel cascadia.Selector
	if selector != "" {
		var err error
		sel, err = cascadia.Compile(selector)
		if err != nil {
			return Page{}, fmt.Errorf("the selector %q is not valid CSS (%v); write one like \"#content\" or \"div.meetings\"", selector, err)
		}
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return Page{}, fmt.Errorf("read the page as HTML: %w", err)
	}
	var p Page
	p.Title = cellText(doc.Find("title").First())
	if p.Title == "" {
		p.Title = cellText(doc.Find("h1").First())
	}

	var roots []*html.Node
	if selector != "" {
		roots = outermost(doc.FindMatcher(sel).Nodes)
		if len(roots) == 0 {
			return p, fmt.Errorf("%w: the selector %q matches nothing; check it against the page, or leave it empty to watch the main content", ErrNoPageText, selector)
		}
	} else {
		roots = []*html.Node{mainContent(doc)}
	}

	var lines []string
	var stats pageTextStats
	for _, root := range roots {
		// A selector that names a menu means the menu: what the site calls
		// chrome stays under it.
		removeNoise(root, selector != "" && isPageChrome(root))
		for _, line := range pageLines(doc.FindNodes(root)) {
			if !isPageBoilerplate(line) {
				lines = append(lines, line)
			}
		}
		stats.add(root, false)
	}
	if len(lines) == 0 {
		return p, fmt.Errorf("%w: the watched part of the page is empty", ErrNoPageText)
	}
	p.Text = strings.Join(lines, "\n")
	p.Warning = pageWarning(utf8.RuneCountInString(strings.Join(lines, " ")), stats, selector)
	return p, nil
}

// pageWarning judges the watched text: textLen is its length as read.
func pageWarning(textLen int, st pageTextStats, selector string) string {
	var what string
	switch {
	case st.chars > 0 && st.links > 0 && st.linkChars*100 >= st.chars*pageLinkyPercent && st.linkChars/st.links < pageMenuLinkChars:
		what = fmt.Sprintf("the watched part of the page is mostly links (%d%% of its text), as a menu is", st.linkChars*100/st.chars)
	case textLen < pageTinyText:
		what = fmt.Sprintf("the watched part of the page holds only %s of text", words.Plural(textLen, "character"))
	default:
		return ""
	}
	if selector != "" {
		return what + fmt.Sprintf("; check that the selector %q names the part of the page that holds its content", selector)
	}
	return what + "; if the page has more to watch, set selector to the part that holds it (for example \"#content\")"
}

// AddedLines compares two versions of a page's text line by line: added are
// the lines of new that old does not have (as many times as they are new), in
// page order; removed counts old's lines that are gone. Lines that only moved
// are neither, and lines are compared as model.ComparableText: a line whose
// view counter or "updated" date changed is the same line.
func AddedLines(old, new string) (added []string, removed int) {
	have := map[string]int{}
	for _, l := range strings.Split(old, "\n") {
		if k := model.ComparableText(l); k != "" {
			have[k]++
		}
	}
	for _, l := range strings.Split(new, "\n") {
		k := model.ComparableText(l)
		if k == "" {
			continue
		}
		if have[k] > 0 {
			have[k]--
			continue
		}
		added = append(added, strings.TrimSpace(l))
	}
	for _, n := range have {
		removed += n
	}
	return added, removed
}
