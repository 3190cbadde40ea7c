package watchers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

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

// Column roles a listing's header can name.
type listingColumn int

const (
	colNumber listingColumn = iota
	colTitle
	colSource
	colDate
	colLanguages
	numListingColumns
)

// listingHeaders are header texts (lower case, letters and spaces only) ITU
// and similar listings use for each role. Matching whole cells, not fixed
// positions, keeps the parser working when a listing drops or reorders a
// column.
var listingHeaders = map[string]listingColumn{
	"number": colNumber, "no": colNumber, "nr": colNumber, "num": colNumber, "doc": colNumber,
	"document": colNumber, "document no": colNumber, "document number": colNumber, "doc no": colNumber,
	"doc number": colNumber, "symbol": colNumber, "reference": colNumber, "ref": colNumber, "document symbol": colNumber,
	"title": colTitle, "subject": colTitle, "document title": colTitle, "name": colTitle, "description": colTitle,
	"source": colSource, "sources": colSource, "submitted by": colSource, "submitter": colSource,
	"origin": colSource, "author": colSource, "authors": colSource, "from": colSource, "contributor": colSource,
	"date": colDate, "dates": colDate, "date posted": colDate, "posted": colDate, "published": colDate,
	"publication date": colDate, "received": colDate, "date received": colDate, "last update": colDate,
	"updated": colDate, "date of issue": colDate,
	"languages": colLanguages, "language": colLanguages, "lang": colLanguages, "download": colLanguages,
	"downloads": colLanguages, "versions": colLanguages, "files": colLanguages, "formats": colLanguages,
}

type listingTable struct {
	table     *goquery.Selection
	headerRow int
	cols      [numListingColumns]int // -1 when the listing has no such column
	score     int
}

// ParseListing reads one page of an ITU document listing. Each row becomes an
// item whose ID is the document's canonical number, so a revision or a new
// language version updates the item already seen. nextPage is the absolute
// url of the following page, or "" on the last one.
func ParseListing(body []byte, pageURL *url.URL) (items []model.Item, nextPage string, err error) {
	items, nextPage, _, err = parseListingRows(body, pageURL)
	return items, nextPage, err
}

// parseListingRows is ParseListing that also counts the table's rows with
// text in two cells or more, documents or not.
func parseListingRows(body []byte, pageURL *url.URL) (items []model.Item, nextPage string, rowCount int, err error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, "", 0, fmt.Errorf("read the page as HTML: %w", err)
	}
	if pageURL == nil {
		pageURL = &url.URL{}
	}
	lt := findDocumentTable(doc)
	if lt == nil {
		return nil, "", 0, fmt.Errorf("%w; expected a table with columns such as Number, Title, Source and Date, check that the url is an ITU document listing", ErrNoDocumentTable)
	}
	pageCats := listingCategories(doc, lt.table)
	rows := tableRows(lt.table)
	docRows := map[*html.Node]bool{}
	for i, tr := range rows {
		if i <= lt.headerRow {
			continue
		}
		cells := expandCells(tr)
		filled := 0
		for _, c := range uniqueCells(cells) {
			if cellText(c) != "" {
				filled++
			}
		}
		if filled >= 2 {
			rowCount++
		}
		it, ok := listingRowItem(cells, lt, pageURL)
		if !ok {
			continue
		}
		docRows[tr.Get(0)] = true
		it.Categories = appendUnique(slices.Clone(pageCats), itudoc.Bodies(it.Document.Series)...)
		items = mergeListingItems(items, []model.Item{it})
	}
	return items, findNextPage(doc, pageURL, docRows), rowCount, nil
}

// findDocumentTable picks the table whose header row names the most listing
// columns; it needs a title or number column and one more.
// Layout tables around the real one do not qualify because their cells hold
// whole blocks of text, never a bare "Title".
func findDocumentTable(doc *goquery.Document) *listingTable {
	var best *listingTable
	doc.Find("table").Each(func(_ int, table *goquery.Selection) {
		for i, tr := range tableRows(table) {
			if i >= 3 {
				break
			}
			lt := &listingTable{table: table, headerRow: i}
			for c := range lt.cols {
				lt.cols[c] = -1
			}
			for pos, cell := range expandCells(tr) {
				if cell == nil {
					continue
				}
				role, ok := listingHeaders[headerKey(cellText(cell))]
				if ok && lt.cols[role] < 0 {
					lt.cols[role] = pos
					lt.score++
				}
			}
			if (lt.cols[colTitle] < 0 && lt.cols[colNumber] < 0) || lt.score < 2 {
				continue
			}
			if best == nil || lt.score > best.score {
				best = lt
			}
			break
		}
	})
	return best
}

// headerKey reduces a header cell ("Title ▲", "No.:", "Date posted") to
// lower-case letters and single spaces.
func headerKey(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return unicode.ToLower(r)
		}
		return ' '
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// tableRows are the rows of this table only, not of tables nested in it.
func tableRows(table *goquery.Selection) []*goquery.Selection {
	var rows []*goquery.Selection
	for _, n := range table.Nodes {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch c.Data {
			case "tr":
				rows = append(rows, table.FindNodes(c))
			case "thead", "tbody", "tfoot":
				for r := c.FirstChild; r != nil; r = r.NextSibling {
					if r.Type == html.ElementNode && r.Data == "tr" {
						rows = append(rows, table.FindNodes(r))
					}
				}
			}
		}
	}
	return rows
}

// expandCells lays a row's cells out by column position, repeating a cell
// that spans several columns.
func expandCells(tr *goquery.Selection) []*goquery.Selection {
	var cells []*goquery.Selection
	tr.ChildrenFiltered("td, th").Each(func(_ int, cell *goquery.Selection) {
		span, _ := strconv.Atoi(cell.AttrOr("colspan", "1"))
		span = min(max(span, 1), 20)
		for range span {
			cells = append(cells, cell)
		}
	})
	return cells
}

func (lt *listingTable) cell(cells []*goquery.Selection, c listingColumn) *goquery.Selection {
	pos := lt.cols[c]
	if pos < 0 || pos >= len(cells) {
		return nil
	}
	return cells[pos]
}

// listingRowItem turns one table row into an item; ok is false for rows that
// are not documents (section headings, spacer rows, repeated headers).
func listingRowItem(cells []*goquery.Selection, lt *listingTable, pageURL *url.URL) (model.Item, bool) {
	distinct := 0
	for i, c := range cells {
		if i == 0 || c.Get(0) != cells[i-1].Get(0) {
			distinct++
		}
	}
	if distinct < 2 {
		return model.Item{}, false
	}
	numberCell := lt.cell(cells, colNumber)
	titleCell := lt.cell(cells, colTitle)
	numberText, titleText := cellText(numberCell), cellText(titleCell)
	if isHeaderRow(cells) {
		return model.Item{}, false // a header repeated inside the table body
	}

	// Every link of the row may carry the document id: the number cell, the
	// title, and the language versions (whose ids carry the revision).
	var refs []*model.DocumentRef
	if ref, ok := itudoc.Parse(numberText); ok {
		refs = append(refs, ref)
	} else if ref, ok := itudoc.Find(numberText); ok {
		refs = append(refs, ref)
	}
	var rowLinks []*goquery.Selection
	for _, c := range uniqueCells(cells) {
		c.Find("a[href]").Each(func(_ int, a *goquery.Selection) { rowLinks = append(rowLinks, a) })
	}
	for _, a := range rowLinks {
		if abs := resolveListingLink(a.AttrOr("href", ""), pageURL); abs != "" {
			if ref, ok := itudoc.FromURL(abs); ok {
				refs = append(refs, ref)
			}
		}
	}
	if len(refs) == 0 && numberCell == nil {
		if ref, ok := itudoc.Find(titleText); ok {
			refs = append(refs, ref)
		}
	}
	var ref *model.DocumentRef
	switch {
	case len(refs) > 0:
		ref = refs[0]
		for _, r := range refs[1:] {
			if r.Number != ref.Number {
				continue
			}
			if itudoc.RevisionNumber(r.Revision) > itudoc.RevisionNumber(ref.Revision) {
				ref.Revision = r.Revision
			}
		}
	case numberText != "" && len(numberText) <= 40 && strings.ContainsAny(numberText, "0123456789"):
		// A number this parser does not know yet still names the document.
		ref = &model.DocumentRef{Number: numberText}
	default:
		return model.Item{}, false
	}
	ref = &model.DocumentRef{
		Number: ref.Number, Series: ref.Series, Meeting: ref.Meeting, Seq: ref.Seq,
		Revision: ref.Revision, Addendum: ref.Addendum, Languages: slices.Clone(ref.Languages),
	}

	langCell := lt.cell(cells, colLanguages)
	for _, a := range rowLinks {
		inLangCell := langCell != nil && langCell.Get(0) == a.Closest("td, th").Get(0)
		for _, l := range linkLanguages(a, pageURL, inLangCell, ref.Number) {
			itudoc.AddLanguage(ref, l)
		}
	}

	it := model.Item{ID: ref.Number, Document: ref}
	it.Title = ref.Number
	if titleText != "" {
		it.Title = ref.Number + " — " + titleText
	}
	it.Link = documentLink(numberCell, titleCell, rowLinks, pageURL)
	if src := cellText(lt.cell(cells, colSource)); src != "" {
		ref.Submitter = src
		it.Summary = "Source: " + src
	}
	it.Published = parseListingDate(cellText(lt.cell(cells, colDate)))
	return it, true
}

func isHeaderRow(cells []*goquery.Selection) bool {
	roles := 0
	for _, c := range uniqueCells(cells) {
		if !c.Is("th") {
			return false
		}
		if _, ok := listingHeaders[headerKey(cellText(c))]; ok {
			roles++
		}
	}
	return roles >= 2
}

func uniqueCells(cells []*goquery.Selection) []*goquery.Selection {
	var out []*goquery.Selection
	for i, c := range cells {
		if i == 0 || c.Get(0) != cells[i-1].Get(0) {
			out = append(out, c)
		}
	}
	return out
}

// documentLink prefers the number's own link to the document page, then the
// title's, then any file, so that a reader lands where all versions are.
func documentLink(numberCell, titleCell *goquery.Selection, rowLinks []*goquery.Selection, pageURL *url.URL) string {
	var fileLink string
	for _, cell := range []*goquery.Selection{numberCell, titleCell} {
		if cell == nil {
			continue
		}
		var page string
		cell.Find("a[href]").EachWithBreak(func(_ int, a *goquery.Selection) bool {
			abs := resolveListingLink(a.AttrOr("href", ""), pageURL)
			switch {
			case abs == "":
			case itudoc.IsDocumentFile(abs):
				if fileLink == "" {
					fileLink = abs
				}
			default:
				page = abs
				return false
			}
			return true
		})
		if page != "" {
			return page
		}
	}
	if fileLink != "" {
		return fileLink
	}
	for _, a := range rowLinks {
		if abs := resolveListingLink(a.AttrOr("href", ""), pageURL); abs != "" {
			return abs
		}
	}
	return pageURL.String()
}

func resolveListingLink(href string, base *url.URL) string {
	href = strings.TrimSpace(href)
	if href == "" || strings.HasPrefix(href, "#") {
		return ""
	}
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	abs := base.ResolveReference(u)
	if abs.Scheme != "http" && abs.Scheme != "https" {
		return "" // javascript:, mailto:
	}
	return abs.String()
}

// linkLanguages says which language versions a link stands for, from its
// text, its icon's alt text, its title, hreflang, or the id in its href. A
// link to the document page (not a file) only counts inside a language
// column: elsewhere "/en" is the reader's interface language.
func linkLanguages(a *goquery.Selection, pageURL *url.URL, inLangCell bool, number string) []string {
	labels := []string{a.Text(), a.AttrOr("title", ""), a.AttrOr("hreflang", ""), a.AttrOr("lang", "")}
	a.Find("img").Each(func(_ int, img *goquery.Selection) {
		labels = append(labels, img.AttrOr("alt", ""), img.AttrOr("title", ""))
	})
	var out []string
	for _, l := range labels {
		if code, ok := itudoc.LanguageOfLabel(l); ok {
			out = append(out, code)
		}
	}
	if len(out) > 0 {
		return out
	}
	abs := resolveListingLink(a.AttrOr("href", ""), pageURL)
	if abs == "" || !(inLangCell || itudoc.IsDocumentFile(abs)) {
		return nil
	}
	if ref, ok := itudoc.FromURL(abs); ok && ref.Number == number {
		out = append(out, ref.Languages...)
	}
	if u, err := url.Parse(abs); err == nil {
		if code, ok := itudoc.LanguageOfLabel(u.Query().Get("lang")); ok && inLangCell {
			out = append(out, code)
		}
	}
	return out
}

// listingDate finds a date in a cell that may also hold a time or words.
var listingDate = regexp.MustCompile(`(?i)\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{4}|\d{4}/\d{1,2}/\d{1,2}|\d{1,2}[ -][a-z]{3,9}\.?[ -]\d{4}|[a-z]{3,9}\.? \d{1,2},? \d{4}`)

var listingDateLayouts = []string{
	"2006-1-2", "2.1.2006", "2/1/2006", "2006/1/2",
	"2 January 2006", "2 Jan 2006", "2-Jan-2006", "2-January-2006",
	"January 2 2006", "Jan 2 2006",
}

// parseListingDate reads "2022-09-26", "26.09.2022", "26/09/2022" (day
// first, as ITU writes it), "26 September 2022", "Sep 26, 2022"; the zero
// time when there is no date.
func parseListingDate(s string) time.Time {
	m := listingDate.FindString(s)
	if m == "" {
		return time.Time{}
	}
	m = strings.ReplaceAll(m, ",", "")
	if strings.IndexFunc(m, unicode.IsLetter) >= 0 {
		m = strings.ReplaceAll(m, ".", "")
	}
	for _, layout := range listingDateLayouts {
		if t, err := time.Parse(layout, m); err == nil {
			return t
		}
	}
	return time.Time{}
}

// listingCategories names the bodies a listing is about, from the page's
// title, headings and breadcrumb and the table's caption.
func listingCategories(doc *goquery.Document, table *goquery.Selection) []string {
	var parts []string
	parts = append(parts, cellText(doc.Find("title").First()))
	doc.Find("h1, h2, .breadcrumb, #breadcrumb, [aria-label=breadcrumb]").Each(func(_ int, s *goquery.Selection) {
		parts = append(parts, cellText(s))
	})
	parts = append(parts, cellText(table.ChildrenFiltered("caption")))
	context := strings.Join(parts, " \n ")
	return itudoc.BodiesNamedIn(context)
}

func appendUnique(list []string, more ...string) []string {
	for _, s := range more {
		if s != "" && !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
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
