package watchers

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/ituwatch/ituwatch/itudoc"
)

// Which part of a page is its content: the main container, without the
// site's navigation, banners, hidden zones and boilerplate lines.

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

func nonSpaceChars(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
