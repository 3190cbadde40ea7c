package watchers

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/PuerkitoBio/goquery"

	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
)

// One row of a listing's table as an item: its document number, link,
// language versions, source and date.

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

	if restrictedRow(cells) {
		ref.Restricted = restrictedTIES
	}

	it := model.Item{ID: ref.Number, Document: ref}
	it.Title = ref.Number
	if titleText != "" {
		it.Title = ref.Number + " — " + titleText
	}
	it.Link = documentLink(numberCell, titleCell, rowLinks, pageURL)
	if src := cellText(lt.cell(cells, colSource)); src != "" {
		ref.Submitter = src
		ref.Proposers = listingProposers(lt.cell(cells, colSource))
		it.Summary = "Source: " + src
	}
	it.Published = parseListingDate(cellText(lt.cell(cells, colDate)))
	return it, true
}

// listingProposers reads who proposed the document off its source cell.
// ITU links each submitter to the listing filtered by it, so each link is
// one name; a cell of plain text is read as a list.
func listingProposers(cell *goquery.Selection) []string {
	var out []string
	add := func(text string) {
		for _, p := range itudoc.Proposers(text) {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	links := cell.Find("a")
	if links.Length() < 2 {
		add(cellText(cell))
		return out
	}
	links.Each(func(_ int, a *goquery.Selection) { add(cellText(a)) })
	// Words outside the links are mostly glue ("Common proposals of",
	// "and"); only a known name among them (a co-signer without a link)
	// counts.
	rest := cell.Clone()
	rest.Find("a").Remove()
	for _, p := range itudoc.Proposers(cellText(rest)) {
		if _, _, known := itudoc.ProposerName(p); known && !slices.Contains(out, p) {
			out = append(out, p)
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

// restrictedMark is how a listing marks a members-only file: a lock icon
// titled "TIES" or "restricted", or a cell that says so alone. A title
// that merely mentions TIES is not a mark.
var restrictedMark = regexp.MustCompile(`(?i)^\(?\s*(ties|restricted|ties restricted|restricted \(ties\)|ties access( only)?|members only)\s*\)?$`)

func restrictedRow(cells []*goquery.Selection) bool {
	for _, c := range uniqueCells(cells) {
		found := false
		c.Find("img, span, i, a").EachWithBreak(func(_ int, e *goquery.Selection) bool {
			for _, label := range []string{e.AttrOr("alt", ""), e.AttrOr("title", ""), e.AttrOr("aria-label", "")} {
				l := strings.ToLower(label)
				if restrictedMark.MatchString(strings.TrimSpace(label)) || strings.Contains(l, "ties restricted") || strings.Contains(l, "restricted access") {
					found = true
					return false
				}
			}
			return true
		})
		if found || restrictedMark.MatchString(strings.TrimSpace(c.Text())) {
			return true
		}
	}
	return false
}
