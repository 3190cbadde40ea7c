package watchers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"

	"github.com/ituwatch/ituwatch/internal/cpuslots"
	"github.com/ituwatch/ituwatch/internal/links"
	"github.com/ituwatch/ituwatch/model"
)

// Limits that keep one odd feed from flooding the pipeline or the store.
const (
	maxFeedItems   = 1000
	maxTitleBytes  = 1 << 10
	maxSummaryLen  = 8 << 10
	maxContentLen  = 64 << 10
	futureDateSlop = 48 * time.Hour
)

// ErrHTMLNotFeed is wrapped when a feed URL answers with a web page.
var ErrHTMLNotFeed = errors.New("the URL returned an HTML page, not a feed")

type feedSource struct {
	id, url string
	fetcher *Fetcher
	now     func() time.Time
}

// NewFeedSource watches an RSS (0.9x, 1.0/RDF, 2.0), Atom or JSON Feed URL.
func NewFeedSource(id, url string, f *Fetcher) Source {
	return &feedSource{id: id, url: url, fetcher: f, now: time.Now}
}

func (s *feedSource) ID() string { return s.id }

// Poll returns nil items when the feed did not change, and a non-nil (maybe
// empty) slice when it did.
func (s *feedSource) Poll(ctx context.Context, prev model.SourceState) ([]model.Item, model.SourceState, error) {
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
	items, err := parseFeed(s.id, res.Body, res.ContentType, res.FinalURL, s.now())
	releaseSlot()
	if err != nil {
		return nil, prev, err
	}
	return items, next, nil
}

// ParseFeed reads an RSS, Atom, RDF or JSON feed from bytes (a file, a demo
// sample) into items of sourceID, normalised as a polled feed would be.
func ParseFeed(sourceID string, body []byte) ([]model.Item, error) {
	return parseFeed(sourceID, body, "", "", time.Now())
}

// newFeedParser is gofeed's parser without the search for a picture in
// every RSS item's HTML (a second HTML parse of each item, a fifth of the
// parsing time): alerts show no pictures.
func newFeedParser() *gofeed.Parser {
	p := gofeed.NewParser()
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return p
}

func parseFeed(sourceID string, body []byte, contentType, baseURL string, now time.Time) ([]model.Item, error) {
	body = repairEncoding(body, contentType)
	// Every item has a tag, so a feed with fewer '<' than the cap (most
	// feeds) needs no scan for its items.
	if bytes.Count(body, []byte{'<'}) > maxFeedItems {
		if layout := scanFeedItems(body, maxFeedItems); layout.count > maxFeedItems {
			return parseLongFeed(sourceID, body, layout, baseURL, now)
		}
	}
	feed, err := parseFeedDoc(body, baseURL)
	if err != nil {
		return nil, err
	}
	return normaliseFeed(sourceID, feed, baseURL, now), nil
}

// parseFeedDoc is gofeed's parse with the errors a person can act on.
func parseFeedDoc(body []byte, baseURL string) (*gofeed.Feed, error) {
	feed, err := newFeedParser().Parse(bytes.NewReader(body))
	if err != nil {
		// Some sites wrap an Atom feed in an XHTML page; read the feed
		// inside before giving up.
		if inner := embeddedAtom(body); inner != nil && len(inner) < len(body) {
			if f2, err2 := newFeedParser().Parse(bytes.NewReader(inner)); err2 == nil {
				return f2, nil
			}
		}
		if looksLikeHTML(body) {
			return nil, htmlPageError(body, baseURL)
		}
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, fmt.Errorf("the response is not a feed (RSS, Atom, RDF or JSON Feed); check that the url points at the feed itself")
		}
		return nil, fmt.Errorf("the feed is malformed and could not be read: %w", err)
	}
	return feed, nil
}

// parseLongFeed reads a feed of more than maxFeedItems items without
// building all of them at once: gofeed keeps every item of a document (a
// 6 MB feed of 100,000 tiny items cost 161 MB), so it is given documents
// of maxFeedItems items each, the feed's own head and closing tags around
// a run of its items. A feed whose first run is in newest-first order (or
// undated, where the feed's order decides) and has no repeated item is
// read no further: its first items are the ones normaliseFeed would keep,
// unless an item further on is newer than those, which a newest-first
// feed does not have. Any other is read run by run, keeping the newest
// maxFeedItems.
func parseLongFeed(sourceID string, body []byte, layout feedLayout, baseURL string, now time.Time) ([]model.Item, error) {
	if !layout.uniform {
		// Items at different depths cannot be regrouped; the feed is cut
		// before its first item over the limit instead.
		doc := append(body[:layout.cut:layout.cut], layout.cutClosers...)
		feed, err := parseFeedDoc(doc, baseURL)
		if err != nil {
			return nil, err
		}
		return normaliseFeed(sourceID, feed, baseURL, now), nil
	}
	head := body[:layout.runs[0].start]
	seen := make(map[string]bool, maxFeedItems)
	var kept []model.Item
	var doc []byte
	for k, run := range layout.runs {
		doc = append(doc[:0], head...)
		doc = append(doc, body[run.start:run.end]...)
		doc = append(doc, layout.closers...)
		feed, err := parseFeedDoc(doc, baseURL)
		if err != nil {
			if k == 0 {
				return nil, err
			}
			// The items read so far are good; a broken item further on
			// must not lose them.
			break
		}
		items := normaliseItems(sourceID, feed, baseURL, now, seen)
		if k == 0 && len(items) == maxFeedItems && newestFirst(items) {
			return keepNewest(items), nil
		}
		kept = keepNewest(append(kept, items...))
	}
	return kept, nil
}

// newestFirst reports whether no item is newer than the one before it.
func newestFirst(items []model.Item) bool {
	for i := 1; i < len(items); i++ {
		if items[i].When().After(items[i-1].When()) {
			return false
		}
	}
	return true
}

func normaliseFeed(sourceID string, feed *gofeed.Feed, baseURL string, now time.Time) []model.Item {
	return keepNewest(normaliseItems(sourceID, feed, baseURL, now, make(map[string]bool, len(feed.Items))))
}

// normaliseItems turns the feed's items into model.Items in the feed's
// order, skipping any whose id is in seen (a repeated guid: the first one
// wins) and adding the others'.
func normaliseItems(sourceID string, feed *gofeed.Feed, baseURL string, now time.Time, seen map[string]bool) []model.Item {
	base := parseBase(feed.Link, baseURL)
	items := make([]model.Item, 0, min(len(feed.Items), maxFeedItems))
	for _, fi := range feed.Items {
		if fi == nil {
			continue
		}
		it := normaliseItem(sourceID, fi, base, now)
		if seen[it.ID] {
			continue
		}
		seen[it.ID] = true
		items = append(items, it)
	}
	return items
}

// keepNewest cuts items to maxFeedItems, keeping the newest; items without
// a date count as oldest, and among equals the feed's own order (usually
// newest first) decides.
func keepNewest(items []model.Item) []model.Item {
	if len(items) > maxFeedItems {
		sort.SliceStable(items, func(i, j int) bool { return items[i].When().After(items[j].When()) })
		items = items[:maxFeedItems:maxFeedItems]
	}
	return items
}

// feedLayout is where the items of an XML feed are, found by scanning its
// markup without parsing it. Items are the item (RSS) and entry (Atom)
// elements, with any namespace prefix, that are not inside another one.
type feedLayout struct {
	count, perRun int
	// runs are the stretches of perRun items (fewer in the last),
	// each from the start of its first item to the end of its last.
	runs []itemSpan
	// uniform: every item starts inside the same elements as the first,
	// whose end tags, innermost first, are closers.
	uniform bool
	closers []byte
	// cut is where item perRun+1 starts, cutClosers the end tags of
	// the elements open there.
	cut        int
	cutClosers []byte
}

type itemSpan struct{ start, end int }

// ended records an item found at body[start:end].
func (l *feedLayout) ended(start, end int) {
	if l.count%l.perRun == 0 {
		l.runs = append(l.runs, itemSpan{start, end})
	}
	l.runs[len(l.runs)-1].end = end
	l.count++
}

// scanFeedItems finds the items of an XML feed. It knows just enough XML
// to tell markup from text: comments, CDATA sections, processing
// instructions, the DOCTYPE and quoted attribute values are skipped, so
// "</item>" inside them ends nothing. A construct left open ends the scan:
// what follows is not markup anyone reads. A JSON feed has no items here.
func scanFeedItems(body []byte, perRun int) feedLayout {
	var (
		layout = feedLayout{uniform: true, perRun: perRun}
		stack  [][]byte // names of the open elements, as written
		first  [][]byte // stack at the first item
		inItem = -1     // depth at which the current item opened
		itemAt int
		pos    int
		skipTo = func(from int, end string) int {
			i := bytes.Index(body[from:], []byte(end))
			if i < 0 {
				return -1
			}
			return from + i + len(end)
		}
	)
	if len(body) == 0 || body[0] != '<' {
		return layout
	}
	for pos < len(body) {
		i := bytes.IndexByte(body[pos:], '<')
		if i < 0 {
			break
		}
		at := pos + i
		rest := body[at:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			pos = skipTo(at+4, "-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			pos = skipTo(at+9, "]]>")
		case bytes.HasPrefix(rest, []byte("<?")):
			pos = skipTo(at+2, "?>")
		case bytes.HasPrefix(rest, []byte("<!")):
			pos = declEnd(body, at+2)
		case bytes.HasPrefix(rest, []byte("</")):
			name := xmlName(body[at+2:])
			pos = skipTo(at+2, ">")
			if pos < 0 {
				break
			}
			for d := len(stack) - 1; d >= 0; d-- {
				if bytes.Equal(stack[d], name) {
					stack = stack[:d]
					break
				}
			}
			if inItem >= 0 && len(stack) <= inItem {
				layout.ended(itemAt, pos)
				inItem = -1
			}
		default:
			name := xmlName(body[at+1:])
			end := tagEnd(body, at+1+len(name))
			if len(name) == 0 || end < 0 {
				// "a < b" in sloppy text, or a tag left open.
				pos = at + 1
				if end < 0 {
					pos = -1
				}
				break
			}
			pos = end
			selfClosing := body[end-2] == '/'
			if inItem < 0 && isItemName(name) {
				n := layout.count
				switch {
				case n == 0:
					first = slices.Clone(stack)
					layout.closers = endTags(stack)
				case !slices.EqualFunc(stack, first, bytes.Equal):
					layout.uniform = false
				}
				if n == perRun {
					layout.cut, layout.cutClosers = at, endTags(stack)
				}
				if selfClosing {
					layout.ended(at, end)
				} else {
					inItem, itemAt = len(stack), at
				}
			}
			if !selfClosing {
				stack = append(stack, name)
			}
		}
		if pos < 0 {
			break
		}
	}
	return layout
}

// xmlName is the element name at the start of b.
func xmlName(b []byte) []byte {
	for i, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n', '>', '/', '<', '"', '\'', '=':
			return b[:i]
		}
	}
	return b
}

// tagEnd is the index after the '>' that ends the tag whose attributes
// start at from, or -1.
func tagEnd(b []byte, from int) int {
	for i := from; i < len(b); i++ {
		switch b[i] {
		case '"', '\'':
			j := bytes.IndexByte(b[i+1:], b[i])
			if j < 0 {
				return -1
			}
			i += 1 + j
		case '>':
			return i + 1
		}
	}
	return -1
}

// declEnd is the index after a <!DOCTYPE ...> (from is after "<!"), whose
// internal subset in brackets may hold '>', or -1.
func declEnd(b []byte, from int) int {
	depth := 0
	for i := from; i < len(b); i++ {
		switch b[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '>':
			if depth <= 0 {
				return i + 1
			}
		}
	}
	return -1
}

func isItemName(name []byte) bool {
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	return bytes.EqualFold(name, []byte("item")) || bytes.EqualFold(name, []byte("entry"))
}

func endTags(stack [][]byte) []byte {
	var b []byte
	for i := len(stack) - 1; i >= 0; i-- {
		b = append(append(append(b, "</"...), stack[i]...), '>')
	}
	return b
}

func parseBase(feedLink, fetchURL string) *url.URL {
	for _, s := range []string{feedLink, fetchURL} {
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil && u.IsAbs() {
			return u
		}
	}
	return nil
}

func normaliseItem(sourceID string, fi *gofeed.Item, base *url.URL, now time.Time) model.Item {
	it := model.Item{SourceID: sourceID}
	it.Title = truncateText(collapseSpace(htmlToText(fi.Title)), maxTitleBytes)
	it.Summary = truncateText(htmlToText(fi.Description), maxSummaryLen)
	it.Content = truncateText(htmlToText(fi.Content), maxContentLen)
	if it.Content == it.Summary {
		it.Content = "" // one copy is enough for readers and for matching
	}

	link := strings.TrimSpace(fi.Link)
	if link == "" && len(fi.Links) > 0 {
		link = strings.TrimSpace(fi.Links[0])
	}
	it.Link = links.Display(unwrapRedirect(resolveLink(link, base)))

	limit := now.Add(futureDateSlop)
	it.Published = saneDate(fi.PublishedParsed, limit)
	it.Updated = saneDate(fi.UpdatedParsed, limit)

	for _, p := range fi.Authors {
		if p == nil {
			continue
		}
		name := collapseSpace(htmlToText(p.Name))
		if name == "" {
			name = strings.TrimSpace(p.Email)
		}
		if name != "" && !slices.Contains(it.Authors, name) {
			it.Authors = append(it.Authors, name)
		}
	}
	for _, c := range fi.Categories {
		c = collapseSpace(c)
		if c != "" && !slices.Contains(it.Categories, c) {
			it.Categories = append(it.Categories, c)
		}
	}
	it.ID = itemID(strings.TrimSpace(fi.GUID), it)
	return it
}

// saneDate gives the date in UTC, or zero for a date so far in the future
// that it is wrong and would sort the item first for days.
func saneDate(t *time.Time, limit time.Time) time.Time {
	if t == nil || t.IsZero() || t.After(limit) {
		return time.Time{}
	}
	return t.UTC()
}

// itemID is stable across polls: the guid, else the canonical link, else a
// hash of what the reader sees.
func itemID(guid string, it model.Item) string {
	if guid != "" {
		return guid
	}
	if it.Link != "" {
		return links.Canonical(it.Link)
	}
	h := sha256.New()
	h.Write([]byte(it.Title))
	h.Write([]byte{0})
	if !it.Published.IsZero() {
		h.Write([]byte(it.Published.Format(time.RFC3339)))
	}
	if it.Title == "" && it.Published.IsZero() {
		h.Write([]byte{0})
		h.Write([]byte(it.Summary))
		h.Write([]byte{0})
		h.Write([]byte(it.Content))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:32]
}

func resolveLink(link string, base *url.URL) string {
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	if !u.IsAbs() && base != nil {
		return base.ResolveReference(u).String()
	}
	return link
}

// unwrapRedirect replaces a Google Alerts click-tracking link with the
// article it points at, so the same story from two sources has one link.
func unwrapRedirect(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Path != "/url" {
		return link
	}
	host := strings.ToLower(u.Hostname())
	if host != "google.com" && !strings.HasSuffix(host, ".google.com") {
		return link
	}
	q := u.Query()
	for _, k := range []string{"url", "q"} {
		if target, err := url.Parse(q.Get(k)); err == nil && target.IsAbs() && (target.Scheme == "http" || target.Scheme == "https") {
			return target.String()
		}
	}
	return link
}

var xmlEncodingDecl = regexp.MustCompile(`^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// repairEncoding makes the body something gofeed can read: no BOM, no
// leading blank lines, and valid UTF-8 unless a non-UTF-8 encoding is
// declared in the XML prolog (gofeed converts those itself). A body that is
// not valid UTF-8 and says nothing is decoded with the charset from the
// Content-Type, else as Windows-1252 when it has no UTF-8 sequences at all
// (the usual undeclared Latin-1 feed), else repaired with U+FFFD so that one
// bad byte does not lose the whole feed.
func repairEncoding(body []byte, contentType string) []byte {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	body = bytes.TrimLeft(body, " \t\r\n")
	if utf8.Valid(body) {
		return body
	}
	if m := xmlEncodingDecl.FindSubmatch(body[:min(len(body), 256)]); m != nil {
		label := strings.ToLower(string(m[1]))
		if label != "utf-8" && label != "utf8" {
			return body
		}
	}
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if label := strings.ToLower(params["charset"]); label != "" && label != "utf-8" && label != "utf8" {
			if enc, _ := charset.Lookup(label); enc != nil {
				if out, err := enc.NewDecoder().Bytes(body); err == nil {
					return out
				}
			}
		}
	}
	if !hasUTF8Multibyte(body) {
		if out, err := charmap.Windows1252.NewDecoder().Bytes(body); err == nil {
			return out
		}
	}
	return bytes.ToValidUTF8(body, []byte("\uFFFD"))
}

func hasUTF8Multibyte(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if size > 1 && r != utf8.RuneError {
			return true
		}
		b = b[size:]
	}
	return false
}

func looksLikeHTML(body []byte) bool {
	head := bytes.ToLower(body[:min(len(body), 1024)])
	head = bytes.TrimLeft(head, " \t\r\n")
	for _, p := range [][]byte{[]byte("<!doctype html"), []byte("<html"), []byte("<head"), []byte("<body")} {
		if bytes.HasPrefix(head, p) {
			return true
		}
	}
	// An XML prolog or a comment may come first.
	return bytes.Contains(head, []byte("<html")) && !bytes.Contains(head, []byte("<rss")) && !bytes.Contains(head, []byte("<rdf:rdf"))
}

func embeddedAtom(body []byte) []byte {
	lower := bytes.ToLower(body)
	start := bytes.Index(lower, []byte("<feed"))
	end := bytes.LastIndex(lower, []byte("</feed>"))
	if start < 0 || end < start {
		return nil
	}
	return body[start : end+len("</feed>")]
}

// htmlPageError names the feeds the page advertises, so the person fixing
// the config has the right URL at hand.
func htmlPageError(body []byte, baseURL string) error {
	base, _ := url.Parse(baseURL)
	var feeds []string
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if string(name) == "body" {
			break
		}
		if string(name) != "link" || !hasAttr {
			continue
		}
		var rel, typ, href string
		for {
			k, v, more := z.TagAttr()
			switch string(k) {
			case "rel":
				rel = strings.ToLower(string(v))
			case "type":
				typ = strings.ToLower(string(v))
			case "href":
				href = string(v)
			}
			if !more {
				break
			}
		}
		if strings.Contains(rel, "alternate") && href != "" &&
			(strings.Contains(typ, "rss") || strings.Contains(typ, "atom") || strings.Contains(typ, "feed+json")) {
			if base != nil {
				href = resolveLink(href, base)
			}
			if !slices.Contains(feeds, href) {
				feeds = append(feeds, href)
			}
		}
	}
	if len(feeds) == 0 {
		return fmt.Errorf("%w; open it in a browser and look for its RSS or Atom link, or use type: page to watch the page itself", ErrHTMLNotFeed)
	}
	return fmt.Errorf("%w; the page names its feed at %s, use that as the url", ErrHTMLNotFeed, strings.Join(feeds, " or "))
}

// Block elements end a line of text; paragraphs-like ones leave a blank line.
var (
	breakTags = map[string]bool{
		"br": true, "li": true, "tr": true, "dt": true, "dd": true, "div": true,
		"td": true, "th": true, "hr": true, "figcaption": true,
	}
	paraTags = map[string]bool{
		"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
		"blockquote": true, "pre": true, "ul": true, "ol": true, "dl": true, "table": true,
		"section": true, "article": true, "header": true, "footer": true, "figure": true,
	}
	skipTags = map[string]bool{
		"script": true, "style": true, "noscript": true, "template": true,
		"head": true, "iframe": true, "object": true, "svg": true, "math": true,
	}
)

// htmlToText turns feed HTML (or text with escaped markup, as in Google
// Alerts titles) into plain text: scripts and styles dropped, entities
// decoded, paragraphs kept as blank lines, other whitespace collapsed.
func htmlToText(s string) string {
	if s == "" {
		return ""
	}
	if !strings.ContainsAny(s, "<&") {
		return tidyLines(s)
	}
	// Text is written with its own line ends turned into spaces (in HTML
	// they are just whitespace); markup writes lineMark and paraMark.
	var b strings.Builder
	skip := 0
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return joinMarks(b.String())
		case html.TextToken:
			if skip == 0 {
				b.WriteString(strings.Map(func(r rune) rune {
					if r == lineMark || r == paraMark || unicode.IsSpace(r) {
						return ' '
					}
					return r
				}, string(z.Text())))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			nameBytes, _ := z.TagName()
			name := string(nameBytes)
			if skipTags[name] {
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			switch {
			case paraTags[name]:
				b.WriteRune(paraMark)
			case breakTags[name]:
				b.WriteRune(lineMark)
			case name == "img" && tt != html.EndTagToken && skip == 0:
				// Alt text is all a text reader gets of an image.
				for {
					k, v, more := z.TagAttr()
					if string(k) == "alt" && len(v) > 0 {
						b.WriteString(" " + string(v) + " ")
					}
					if !more {
						break
					}
				}
			}
		}
	}
}

const (
	lineMark = '\n'
	paraMark = '\x01'
)

// joinMarks collapses each run of whitespace and marks into the strongest
// break in it: a blank line, a line end, or one space.
func joinMarks(s string) string {
	var out strings.Builder
	pending := 0 // 1 space, 2 line, 3 paragraph
	for _, r := range s {
		switch {
		case r == paraMark:
			pending = 3
		case r == lineMark:
			pending = max(pending, 2)
		case unicode.IsSpace(r):
			pending = max(pending, 1)
		default:
			if out.Len() > 0 {
				out.WriteString([...]string{"", " ", "\n", "\n\n"}[pending])
			}
			pending = 0
			out.WriteRune(r)
		}
	}
	return out.String()
}

// tidyLines collapses spaces within lines and runs of blank lines into one.
func tidyLines(s string) string {
	if tidy(s) {
		return s
	}
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := false
	for _, l := range lines {
		l = collapseSpace(l)
		if l == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// collapseSpace trims s and turns every run of white space in it into
// one space.
func collapseSpace(s string) string {
	if collapsed(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for word := range strings.FieldsSeq(s) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(word)
	}
	return b.String()
}

// collapsed reports whether collapseSpace would leave s as it is, which
// most text is: it is checked without allocating.
func collapsed(s string) bool {
	space := true // as if s were preceded by one: no leading space
	for i := 0; i < len(s); {
		c := s[i]
		var isSpace bool
		if c < utf8.RuneSelf {
			isSpace = asciiSpace[c]
			i++
		} else {
			r, n := utf8.DecodeRuneInString(s[i:])
			isSpace = unicode.IsSpace(r)
			i += n
		}
		if isSpace && (space || c != ' ') {
			return false
		}
		space = isSpace
	}
	return !space || s == ""
}

// asciiSpace is unicode.IsSpace for ASCII.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// tidy reports whether tidyLines would leave s as it is.
func tidy(s string) bool {
	if strings.HasPrefix(s, "\n") || strings.HasSuffix(s, "\n") || strings.Contains(s, "\n\n\n") {
		return false
	}
	for line := range strings.SplitSeq(s, "\n") {
		if !collapsed(line) {
			return false
		}
	}
	return true
}

// truncateText cuts s to at most n bytes on a rune boundary, marking the cut.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut]) + ellipsis
}
