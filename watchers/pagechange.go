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
	"unicode"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/ituwatch/ituwatch/internal/cpuslots"
	"github.com/ituwatch/ituwatch/itudoc"
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

// Poll compares the page's text with prev.PageText. A change that only
// removes lines moves the baseline without an item: readers want to hear
// about a new meeting or call for input, not about an expired one. The
// state it returns has a Warning when the watched text looks like the wrong
// part of the page, and none when it does not: the page still works, but
// silence from it would mean little.
func (s *pageSource) Poll(ctx context.Context, prev model.SourceState) ([]model.Item, model.SourceState, error) {
	res, release, err := s.fetcher.fetchHeld(ctx, s.url, validatorsOf(prev))
	defer release() // the body counts against the budget until parsed
	if err != nil {
		return nil, prev, err
	}
	next := prev
	res.Validators.applyTo(&next)
	if res.NotModified {
		return nil, next, nil
	}
	releaseSlot, err := cpuslots.Acquire(ctx)
	if err != nil {
		return nil, prev, err
	}
	page, err := ExtractPage(res.Body, s.selector)
	releaseSlot()
	release() // the page's text is all that is left of the body
	if err != nil {
		return nil, prev, fmt.Errorf("read page %s: %w", s.url, err)
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
		Summary:   fmt.Sprintf("%s added, %d removed", plural(len(added), "line"), removed),
		Content:   content,
	}}, next, nil
}

// pageTextFormat starts every stored baseline. Change it when what
// ExtractPage reads changes enough that old baselines would read as news.
const pageTextFormat = "[page text v2]\n"

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// pageSelector is a CSS selector split in two for speed: on a big page most
// elements (table rows and cells) have no attributes, and only their tag can
// match.
type pageSelector struct {
	tags  map[string]bool
	attrs cascadia.Selector // attribute selectors only; nil for none
}

func (s pageSelector) Match(n *html.Node) bool {
	return n.Type == html.ElementNode && (s.tags[n.Data] || len(n.Attr) > 0 && s.attrs != nil && s.attrs.Match(n))
}

func newPageSelector(tags, attrs string) pageSelector {
	s := pageSelector{tags: map[string]bool{}}
	for _, t := range strings.Fields(tags) {
		s.tags[t] = true
	}
	if attrs != "" {
		s.attrs = cascadia.MustCompile(attrs)
	}
	return s
}

// pageNoise is what is never the content of a page wherever it stands:
// scripts, form controls (ASP.NET's __VIEWSTATE and request digest are hidden
// inputs), and what says of itself that it is navigation, a banner, a footer
// or a search box.
var pageNoise = newPageSelector(`script style noscript template iframe svg object embed input select button textarea nav`,
	`[role=navigation], [role=banner], [role=contentinfo], [role=search], [role=menu], [role=menubar], .skip-link`)

// pageHidden is what the page hides. Outside the main content that is
// chrome (SharePoint's prefetch and dialog zones); inside, it may be a
// collapsed section whose text is content.
var pageHidden = newPageSelector("", `[hidden], [aria-hidden=true], [style*="display:none"], [style*="display: none"]`)

// pageLandmarks are the page's own header and footer; inside an article or
// section they are that part's content.
var (
	pageLandmarks    = newPageSelector("header footer", "")
	pageLandmarkHost = newPageSelector("article section main", "")
)

// pageChromeWords mark, in an element's id or class, the site's chrome:
// master-page headers, mega menus, left navigation, breadcrumbs, the
// SharePoint ribbon, footers. They count only outside the main content,
// where a web part's "header" is content.
var pageChromeWords = map[string]bool{
	"nav": true, "navigation": true, "navbar": true, "sidenav": true, "leftnav": true, "topnav": true,
	"menu": true, "megamenu": true, "breadcrumb": true, "breadcrumbs": true, "ribbon": true, "ribbonrow": true, "ribboncont": true,
	"header": true, "masthead": true, "topbar": true, "footer": true, "quicklaunch": true, "suitebar": true,
	"cookie": true, "cookies": true, "skip": true,
}

// pageMainCandidates are the containers sites put their main text in,
// SharePoint's among them: the placeholder of the page layout and its
// rich-text field. pageMainNamed are those that name the page's one main
// content, unlike an article or a ".content", which a mega menu's teaser
// can be: whatever holds one of them is never noise.
var (
	pageMain           = newPageSelector("main", `[role=main]`)
	pageMainNamed      = newPageSelector("main", pageMainNamedCSS)
	pageMainCandidates = newPageSelector("main article", `.content, `+pageMainNamedCSS)
)

const pageMainNamedCSS = `[role=main], #content, #main, #main-content, .main-content, #maincontent, ` +
	`#contentBox, #DeltaPlaceHolderMain, [id^=ctl00_PlaceHolderMain], .ms-rtestate-field`

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
		what = fmt.Sprintf("the watched part of the page holds only %s of text", plural(textLen, "character"))
	default:
		return ""
	}
	if selector != "" {
		return what + fmt.Sprintf("; check that the selector %q names the part of the page that holds its content", selector)
	}
	return what + "; if the page has more to watch, set selector to the part that holds it (for example \"#content\")"
}

// outermost drops the nodes that lie inside another of nodes, so that no
// text is read twice.
func outermost(nodes []*html.Node) []*html.Node {
	in := make(map[*html.Node]bool, len(nodes))
	for _, n := range nodes {
		in[n] = true
	}
	var out []*html.Node
	for _, n := range nodes {
		inside := false
		for a := n.Parent; a != nil && !inside; a = a.Parent {
			inside = in[a]
		}
		if !inside {
			out = append(out, n)
		}
	}
	return out
}

// mainContent picks the container of the page's content: its one <main>, or
// else the candidate with the most text outside noise; candidates inside the
// site's chrome (a ".content" in a mega menu) do not count. Without any, the
// body.
func mainContent(doc *goquery.Document) *html.Node {
	body := doc.Find("body").First()
	if body.Length() == 0 {
		return doc.Get(0)
	}
	root := body.Get(0)
	noise := pageNoiseIn(root, false)
	var best *html.Node
	bestChars := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || noise[c] {
				continue
			}
			if pageMainCandidates.Match(c) {
				chars := textCharsOutside(c, noise)
				if pageMain.Match(c) && chars > 0 {
					// One <main> is the page's own statement of where its
					// content is.
					if best == nil || !pageMain.Match(best) {
						best, bestChars = c, chars
					}
				} else if chars > bestChars && (best == nil || !pageMain.Match(best)) {
					best, bestChars = c, chars
				}
			}
			walk(c)
		}
	}
	walk(root)
	if best == nil {
		return root
	}
	return best
}

// removeNoise takes the noise out from under root; root itself always stays.
func removeNoise(root *html.Node, keepChrome bool) {
	for n := range pageNoiseIn(root, keepChrome) {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
}

// pageNoiseIn finds the noise under root. An element holding a named
// main-content container is never noise, whatever it calls itself: removing it would
// remove the content. A form is noise when it holds under half of root's
// text (a search box), not when it wraps the page. keepChrome leaves what
// only its id or class calls chrome.
func pageNoiseIn(root *html.Node, keepChrome bool) map[*html.Node]bool {
	holdsMain := map[*html.Node]bool{}
	var mark func(n *html.Node)
	mark = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if pageMainNamed.Match(c) {
				for a := c; a != nil && a != root && !holdsMain[a]; a = a.Parent {
					holdsMain[a] = true
				}
			}
			mark(c)
		}
	}
	mark(root)
	inHost, inMain := false, keepChrome
	for a := root; a != nil; a = a.Parent {
		if a.Type == html.ElementNode {
			inHost = inHost || pageLandmarkHost.Match(a)
			inMain = inMain || pageMainCandidates.Match(a)
		}
	}
	noise := map[*html.Node]bool{}
	var forms []*html.Node
	var walk func(n *html.Node, inHost, inMain bool)
	walk = func(n *html.Node, inHost, inMain bool) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if !holdsMain[c] {
				switch {
				case pageNoise.Match(c),
					!inHost && pageLandmarks.Match(c),
					!inMain && (pageHidden.Match(c) || isPageChrome(c)):
					noise[c] = true
					continue
				case c.Data == "form":
					forms = append(forms, c)
				}
			}
			isMain := pageMainCandidates.Match(c)
			walk(c, inHost || pageLandmarkHost.Match(c), inMain || isMain)
		}
	}
	walk(root, inHost, inMain)
	if len(forms) > 0 {
		total := textCharsOutside(root, noise)
		for _, f := range forms {
			if textCharsOutside(f, noise)*2 < total {
				noise[f] = true
			}
		}
	}
	return noise
}

// isPageChrome reports whether n's id or classes name it as part of the
// site's chrome: "megamenu", "itu-footer", "sideNavBox", "ms-core-navigation",
// "DeltaTopNavigation".
func isPageChrome(n *html.Node) bool {
	for _, a := range n.Attr {
		if a.Key != "id" && a.Key != "class" {
			continue
		}
		for _, token := range strings.Fields(a.Val) {
			if !mayBeChrome(token) {
				continue
			}
			for _, w := range identWords(token) {
				if pageChromeWords[w] {
					return true
				}
			}
		}
	}
	return false
}

// mayBeChrome is a quick look for a chrome word anywhere in token, before
// identWords splits it.
func mayBeChrome(token string) bool {
	token = strings.ToLower(token)
	for _, w := range []string{"nav", "menu", "breadcrumb", "ribbon", "header", "masthead", "topbar", "footer", "quicklaunch", "suitebar", "cookie", "skip"} {
		if strings.Contains(token, w) {
			return true
		}
	}
	return false
}

// identWords splits an id or class into lower-case words at punctuation and
// at lower-to-upper case changes, and adds the whole token run together
// ("mega-menu" gives mega, menu and megamenu).
func identWords(token string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range token {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	parts := len(words)
	if parts > 1 {
		words = append(words, strings.Join(words[:parts], ""))
	}
	// "sideNavBox", "QuickLaunchMenu": two neighbouring words make one too.
	for i := 0; i+1 < parts; i++ {
		words = append(words, words[i]+words[i+1])
	}
	return words
}

// textCharsOutside counts the non-space characters of the text under n that
// is not under a node in skip.
func textCharsOutside(n *html.Node, skip map[*html.Node]bool) int {
	count := 0
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case skip[c]:
			case c.Type == html.TextNode:
				count += nonSpaceChars(c.Data)
			case c.Type == html.ElementNode && !pageSkip[c.Data]:
				walk(c)
			}
		}
	}
	walk(n)
	return count
}

// pageTextStats count the non-space characters of the watched text, and of
// those the ones inside links to other pages, and those links. A link to a
// document file is content: a list of a group's reports is worth watching.
type pageTextStats struct{ chars, linkChars, links int }

func (st *pageTextStats) add(n *html.Node, inLink bool) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode:
			k := nonSpaceChars(c.Data)
			st.chars += k
			if inLink {
				st.linkChars += k
			}
		case c.Type == html.ElementNode && !pageSkip[c.Data]:
			link := !inLink && c.Data == "a" && !itudoc.IsDocumentFile(attr(c, "href"))
			if link {
				st.links++
			}
			st.add(c, inLink || link)
		}
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func nonSpaceChars(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
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
