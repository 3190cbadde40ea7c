package watchers

import (
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

// The text of parsed HTML, as lines (a watched page) or on one line (a
// listing's cell).

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
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
