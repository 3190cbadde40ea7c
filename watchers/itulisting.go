package watchers

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"github.com/ituwatch/ituwatch/internal/cpuslots"
	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
)

// ErrNoDocumentTable is wrapped when a listing page holds no table that looks
// like a list of documents: the page moved, needs a login, or the url points
// at something else.
var ErrNoDocumentTable = errors.New("no document table found on the page")

type ituListingSource struct {
	id, url  string
	fetcher  *Fetcher
	maxPages int

	text     *DocumentText // nil: the listing rows only
	mu       sync.Mutex
	attempts map[string]int // document and revision → polls its files failed
}

// NewITUListingSource watches an ITU document-management listing (a table of
// document number, title, source and date, as ITU publishes for Council,
// CWG-Internet, PP, WTSA, TSAG and the study groups), following its "Next"
// links up to maxPages pages (ituwatch takes it from the source's
// max_pages; less than 1 reads page 1 only).
func NewITUListingSource(id, url string, f *Fetcher, maxPages int) Source {
	return &ituListingSource{id: id, url: url, fetcher: f, maxPages: maxPages}
}

func (s *ituListingSource) ID() string { return s.id }

// Poll reads page 1 with a conditional GET; when it is unchanged the listing
// is taken as unchanged, because ITU lists newest documents first and a new
// document or version always shows on page 1. Later pages are read in full.
// Page 1's new validators are returned only when every page was read:
// otherwise the next poll would see "not modified" and never read the pages
// this one missed.
func (s *ituListingSource) Poll(ctx context.Context, prev model.SourceState) ([]model.Item, model.SourceState, error) {
	first, err := s.readPage(ctx, 1, s.url, validatorsOf(prev))
	if err != nil {
		return nil, prev, err
	}
	if first.res.NotModified {
		st := prev
		first.res.Validators.applyTo(&st)
		return nil, st, nil
	}
	items, next, rows := first.items, first.next, first.rows
	seen := map[string]bool{first.url.String(): true, s.url: true}
	for page := 2; next != "" && page <= s.maxPages && !seen[next]; page++ {
		if err := ctx.Err(); err != nil {
			return nil, prev, err
		}
		seen[next] = true
		p, err := s.readPage(ctx, page, next, Validators{})
		if err != nil {
			return nil, prev, err
		}
		if p.res.NotModified {
			break
		}
		items = mergeListingItems(items, p.items)
		next, rows = p.next, rows+p.rows
	}
	st := prev
	first.res.Validators.applyTo(&st)
	st.Warning = ""
	if len(items) == 0 && rows >= unreadListingRows {
		// Silence here would read as "no new documents" for as long as the
		// listing keeps its new layout.
		st.Warning = fmt.Sprintf("the listing's document table has %d rows but none could be read as a document "+
			"(no document number such as C26/87 or S26-CL-C-0087 in its number column or links); "+
			"the page's layout may have changed: open it to check, and report it so the parser can be fixed", rows)
	}
	for i := range items {
		items[i].SourceID = s.id
	}
	if s.text != nil && len(items) > 0 {
		var held bool
		var notes []string
		items, held, notes, err = s.readTexts(ctx, items, prev.LastSuccess.IsZero())
		if err != nil {
			return nil, prev, err
		}
		if held {
			// Documents wait for a later poll: keep the old validators,
			// so that it reads the listing again rather than "not
			// modified".
			st.ETag, st.LastModified, st.BodyHash = prev.ETag, prev.LastModified, prev.BodyHash
		}
		if len(notes) > 0 && st.Warning == "" {
			st.Warning = "the text of some documents was not read (they were alerted on their listing rows): " + strings.Join(notes, "; ")
		}
	}
	if items == nil {
		items = []model.Item{}
	}
	return items, st, nil
}

// listingPage is one page of a listing as read.
type listingPage struct {
	res   *FetchResult
	url   *url.URL // where the page was read, after redirects
	items []model.Item
	next  string // the "Next" link, "" on the last page
	rows  int
}

// readPage fetches page n of the listing, at rawURL, and parses it, holding
// the body's share of the fetcher's memory budget until it is parsed.
func (s *ituListingSource) readPage(ctx context.Context, n int, rawURL string, prev Validators) (listingPage, error) {
	res, release, err := s.fetcher.fetchHeld(ctx, rawURL, prev)
	defer release()
	if err != nil {
		if n > 1 {
			err = fmt.Errorf("read page %d of the listing: %w", n, err)
		}
		return listingPage{}, err
	}
	p := listingPage{res: res}
	if res.NotModified {
		return p, nil
	}
	if p.url, err = listingPageURL(res.FinalURL, rawURL); err != nil {
		return listingPage{}, err
	}
	p.items, p.next, p.rows, err = parseListing(ctx, res.Body, p.url)
	if err != nil {
		if n > 1 {
			return listingPage{}, fmt.Errorf("read page %d of the listing (%s): %w", n, p.url, err)
		}
		return listingPage{}, fmt.Errorf("read listing %s: %w", p.url, err)
	}
	return p, nil
}

// unreadListingRows is how many rows a document table needs before reading
// none of them is a problem rather than a listing that is empty or nearly so.
const unreadListingRows = 5

// parseListing is parseListingRows in one of the process's CPU slots.
func parseListing(ctx context.Context, body []byte, pageURL *url.URL) ([]model.Item, string, int, error) {
	release, err := cpuslots.Acquire(ctx)
	if err != nil {
		return nil, "", 0, err
	}
	defer release()
	return parseListingRows(body, pageURL)
}

func listingPageURL(final, fallback string) (*url.URL, error) {
	raw := final
	if raw == "" {
		raw = fallback
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the listing url %q cannot be read: %v", raw, err)
	}
	return u, nil
}

// mergeListingItems adds items to list; a document listed twice (its own row
// and a row for its revision, or on two pages) becomes one item carrying the
// latest revision, every language seen, and both dates.
func mergeListingItems(list, items []model.Item) []model.Item {
	for _, it := range items {
		i := slices.IndexFunc(list, func(o model.Item) bool { return o.ID == it.ID })
		if i < 0 {
			list = append(list, it)
			continue
		}
		old := &list[i]
		oldDoc, newDoc := old.Document, it.Document
		first, last := old.Published, it.Published
		if itudoc.RevisionNumber(newDoc.Revision) > itudoc.RevisionNumber(oldDoc.Revision) {
			langs := oldDoc.Languages
			*old = it
			old.Document = newDoc
			for _, l := range langs {
				itudoc.AddLanguage(old.Document, l)
			}
		} else {
			for _, l := range newDoc.Languages {
				itudoc.AddLanguage(oldDoc, l)
			}
		}
		if first.IsZero() || (!last.IsZero() && last.Before(first)) {
			first, last = last, first
		}
		old.Published = first
		if last.After(first) {
			old.Updated = last
		}
		old.Categories = appendUnique(old.Categories, it.Categories...)
	}
	return list
}

// nextWords are the labels of a "next page" link; "»»" and ">>" usually jump
// to the last page and are left out.
var nextWords = map[string]bool{"next": true, "next page": true, "suivant": true, "siguiente": true, "›": true, "»": true, ">": true}

// findNextPage finds the link to the following page: rel="next", a link
// labelled Next, or else the page number after the current one. Links inside
// document rows are never pagination.
func findNextPage(doc *goquery.Document, pageURL *url.URL, docRows map[*html.Node]bool) string {
	ok := func(href string) string {
		abs := resolveListingLink(href, pageURL)
		if abs == "" || abs == pageURL.String() {
			return ""
		}
		return abs
	}
	if href, found := doc.Find(`link[rel~="next"], a[rel~="next"]`).First().Attr("href"); found {
		if abs := ok(href); abs != "" {
			return abs
		}
	}
	var links []*goquery.Selection
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		if tr := a.Closest("tr"); tr.Length() > 0 && docRows[tr.Get(0)] {
			return
		}
		links = append(links, a)
	})
	for _, a := range links {
		label := strings.ToLower(strings.Join(strings.Fields(a.Text()+" "+a.AttrOr("aria-label", "")+" "+a.Find("img").AttrOr("alt", "")), " "))
		label = strings.Trim(label, " ")
		title := strings.ToLower(strings.TrimSpace(a.AttrOr("title", "")))
		if nextWords[label] || nextWords[strings.Trim(label, " >»›")] || nextWords[title] {
			if abs := ok(a.AttrOr("href", "")); abs != "" {
				return abs
			}
		}
	}
	// Numbered pagination without a Next link: the current page is the
	// number that is not a link (or is marked current/active).
	current := 0
	doc.Find(".current, .active, .selected, [aria-current]").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		if n, err := strconv.Atoi(strings.TrimSpace(s.Text())); err == nil {
			current = n
			return false
		}
		return true
	})
	pages := map[int]string{}
	for _, a := range links {
		if n, err := strconv.Atoi(strings.TrimSpace(a.Text())); err == nil && n > 0 && n < 10000 {
			if _, dup := pages[n]; !dup {
				pages[n] = a.AttrOr("href", "")
			}
		}
	}
	if len(pages) == 0 {
		return ""
	}
	if current == 0 {
		// "<b>3</b>" between the page links.
		for _, a := range links {
			if _, err := strconv.Atoi(strings.TrimSpace(a.Text())); err != nil {
				continue
			}
			a.Siblings().Not("a").EachWithBreak(func(_ int, s *goquery.Selection) bool {
				if n, err := strconv.Atoi(strings.TrimSpace(s.Text())); err == nil {
					current = n
					return false
				}
				return true
			})
			if current != 0 {
				break
			}
		}
	}
	if current == 0 {
		if _, linked := pages[1]; linked {
			return "" // cannot tell which page this is
		}
		current = 1
	}
	if href, found := pages[current+1]; found {
		return ok(href)
	}
	return ""
}
