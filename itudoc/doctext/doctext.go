// Package doctext reads the text of the files ITU publishes its documents
// in: Word (.docx), PDF, and a .zip holding either. It imports the standard
// library and one pure-Go PDF reader only, so that a document from the
// network is read without cgo or an external program.
package doctext

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"
)

// Text is what a file says: its body as a reader sees it with every tracked
// change accepted but deleted runs left out, and, for a Word file with
// tracked changes, the runs inside insertions and deletions by paragraph.
type Text struct {
	Body      string
	Inserted  []string
	Deleted   []string
	Truncated bool // the body was cut at the limit
}

// ErrUnreadable is wrapped when a file is not what its name says, or is
// damaged: the caller records that the text was not read, not a failure of
// the source.
var ErrUnreadable = errors.New("the file cannot be read as a document")

// Formats ituwatch reads. "htm" is read by the caller, which owns the
// HTML-to-text rules of the project.
const (
	FormatDOCX = "docx"
	FormatPDF  = "pdf"
	FormatZIP  = "zip"
	FormatHTM  = "htm"
)

// FormatOf names the format of a file from its name or URL path; "" when it
// is none ituwatch reads.
func FormatOf(name string) string {
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".docx":
		return FormatDOCX
	case ".pdf":
		return FormatPDF
	case ".zip":
		return FormatZIP
	case ".htm", ".html":
		return FormatHTM
	}
	return ""
}

// Extract reads data as format, keeping at most limit bytes of body text
// (limit <= 0: no limit). For a .zip it reads the first .docx, else .pdf,
// inside.
func Extract(format string, data []byte, limit int) (Text, error) {
	switch format {
	case FormatDOCX:
		return DOCX(data, limit)
	case FormatPDF:
		return PDF(data, limit)
	case FormatZIP:
		return Zip(data, limit)
	}
	return Text{}, fmt.Errorf("%w: format %q is not read", ErrUnreadable, format)
}

// maxPart bounds what one part of an archive may expand to: a small .docx
// or .zip must not become gigabytes of XML in memory.
const maxPart = 64 << 20

// Zip reads the first Word file inside data, else the first PDF.
func Zip(data []byte, limit int) (Text, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Text{}, fmt.Errorf("%w: not a zip archive: %v", ErrUnreadable, err)
	}
	for _, want := range []string{FormatDOCX, FormatPDF} {
		for _, f := range zr.File {
			if FormatOf(f.Name) != want {
				continue
			}
			inner, err := readPart(f)
			if err != nil {
				return Text{}, err
			}
			return Extract(want, inner, limit)
		}
	}
	return Text{}, fmt.Errorf("%w: the zip archive holds no .docx or .pdf", ErrUnreadable)
}

func readPart(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxPart {
		return nil, fmt.Errorf("%w: %s expands to %d bytes, more than the %d read", ErrUnreadable, f.Name, f.UncompressedSize64, maxPart)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %v", ErrUnreadable, f.Name, err)
	}
	defer rc.Close()
	// The header's size may lie; the reader is capped as well.
	b, err := io.ReadAll(io.LimitReader(rc, maxPart+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %v", ErrUnreadable, f.Name, err)
	}
	if len(b) > maxPart {
		return nil, fmt.Errorf("%w: %s expands to more than %d bytes", ErrUnreadable, f.Name, maxPart)
	}
	return b, nil
}

// bodyWriter gathers lines of text up to a limit.
type bodyWriter struct {
	b         strings.Builder
	limit     int
	truncated bool
}

func (w *bodyWriter) line(s string) {
	s = strings.TrimSpace(s)
	if s == "" || w.truncated {
		return
	}
	if w.b.Len() > 0 {
		s = "\n" + s
	}
	if w.limit > 0 && w.b.Len()+len(s) > w.limit {
		s = cutUTF8(s, w.limit-w.b.Len())
		w.truncated = true
	}
	w.b.WriteString(s)
}

func (w *bodyWriter) full() bool { return w.truncated }

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
