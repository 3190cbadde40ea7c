package watchers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"

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
	var items []model.Item
	next, changed, err := s.fetcher.pollChanged(ctx, s.url, prev, func(res *FetchResult) (err error) {
		items, err = parseFeed(s.id, res.Body, res.ContentType, res.FinalURL, s.now())
		return err
	})
	if err != nil || !changed {
		return nil, next, err
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
