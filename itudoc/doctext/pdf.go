package doctext

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ledongthuc/pdf"
)

// PDF reads the text of each page in order, pages a blank line apart. Only
// text drawn with fonts is read: a scanned page (an image) has none, and a
// PDF that yields no text at all is reported as unreadable so the caller
// can try another format of the same document.
func PDF(data []byte, limit int) (t Text, err error) {
	// The reader panics on some damaged files; a bad file from the network
	// must not take the process down.
	defer func() {
		if r := recover(); r != nil {
			t, err = Text{}, fmt.Errorf("%w: damaged PDF: %v", ErrUnreadable, r)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Text{}, fmt.Errorf("%w: not a PDF: %v", ErrUnreadable, err)
	}
	if err := checkPageTree(r.Trailer().Key("Root").Key("Pages"), 0, new(int)); err != nil {
		return Text{}, err
	}
	w := bodyWriter{limit: limit}
	for i := 1; i <= r.NumPage() && !w.full(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		// Fonts are not shared between pages: "F1" may name another font
		// on the next page.
		s, err := p.GetPlainText(nil)
		if err != nil {
			return Text{}, fmt.Errorf("%w: page %d: %v", ErrUnreadable, i, err)
		}
		for _, l := range strings.Split(s, "\n") {
			w.line(strings.Join(strings.Fields(l), " "))
		}
		if i < r.NumPage() && w.b.Len() > 0 && !w.full() {
			w.b.WriteString("\n")
		}
	}
	if strings.TrimSpace(w.b.String()) == "" {
		return Text{}, fmt.Errorf("%w: the PDF has no text (a scan?)", ErrUnreadable)
	}
	return Text{Body: strings.TrimSpace(w.b.String()), Truncated: w.truncated}, nil
}

// Bounds of a page tree: a real document of thousands of pages is a few
// levels deep. The reader walks the tree without remembering where it has
// been, so a damaged file whose tree points back at itself would keep it
// walking forever; such a tree is refused before any page is read.
const (
	maxPageTreeDepth = 64
	maxPageTreeNodes = 100000
)

func checkPageTree(v pdf.Value, depth int, seen *int) error {
	*seen++
	if depth > maxPageTreeDepth || *seen > maxPageTreeNodes {
		return fmt.Errorf("%w: damaged PDF: its page tree is deeper than %d levels or larger than %d nodes (a loop?)", ErrUnreadable, maxPageTreeDepth, maxPageTreeNodes)
	}
	kids := v.Key("Kids")
	for i := 0; i < kids.Len(); i++ {
		if err := checkPageTree(kids.Index(i), depth+1, seen); err != nil {
			return err
		}
	}
	return nil
}
