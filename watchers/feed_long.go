package watchers

import (
	"bytes"
	"slices"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// Feeds of more than maxFeedItems items: where their items are, found
// without parsing them, and how they are read a run at a time.

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
