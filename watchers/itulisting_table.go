package watchers

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
)

// One page of a listing: finding its document table by the headers of its
// columns, and the rows of that table.

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
