package doctext

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// wordNS is WordprocessingML's namespace; elements of other namespaces
// (drawings, math, markup compatibility) are passed over.
const wordNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

// DOCX reads a Word file's main text (word/document.xml): paragraphs one a
// line, each table row on one line with its cells apart (" | "), and
// tracked changes: an insertion's words are in the body and in Inserted, a
// deletion's words only in Deleted, so the body reads as the document will
// once the changes are accepted.
func DOCX(data []byte, limit int) (Text, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Text{}, fmt.Errorf("%w: not a Word file (no zip archive): %v", ErrUnreadable, err)
	}
	var main *zip.File
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			main = f
			break
		}
	}
	if main == nil {
		return Text{}, fmt.Errorf("%w: not a Word file (no word/document.xml)", ErrUnreadable)
	}
	doc, err := readPart(main)
	if err != nil {
		return Text{}, err
	}
	return wordText(bytes.NewReader(doc), limit)
}

// wordReader walks document.xml once, keeping the state of where it is.
type wordReader struct {
	body bodyWriter
	out  Text

	para, paraIns, paraDel strings.Builder
	ins, del               int // depth inside w:ins/w:moveTo, w:del/w:moveFrom
	inText, inDelText      bool
	tables                 int // depth of w:tbl
	cell                   strings.Builder
	row                    []string
}

func wordText(r io.Reader, limit int) (Text, error) {
	w := &wordReader{body: bodyWriter{limit: limit}}
	dec := xml.NewDecoder(r)
	for !w.body.full() {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Text{}, fmt.Errorf("%w: word/document.xml: %v", ErrUnreadable, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space == wordNS {
				w.start(t.Name.Local)
			}
		case xml.EndElement:
			if t.Name.Space == wordNS {
				w.end(t.Name.Local)
			}
		case xml.CharData:
			w.chars(string(t))
		}
	}
	w.out.Body = w.body.b.String()
	w.out.Truncated = w.body.truncated
	return w.out, nil
}

func (w *wordReader) start(name string) {
	switch name {
	case "ins", "moveTo":
		w.ins++
	case "del", "moveFrom":
		w.del++
	case "t":
		w.inText = true
	case "delText":
		w.inDelText = true
	case "tab":
		w.write(" ")
	case "br", "cr":
		w.write("\n")
	case "noBreakHyphen":
		w.write("-")
	case "tbl":
		w.tables++
	case "p":
		w.para.Reset()
		w.paraIns.Reset()
		w.paraDel.Reset()
	}
}

func (w *wordReader) end(name string) {
	switch name {
	case "ins", "moveTo":
		w.ins = max(0, w.ins-1)
	case "del", "moveFrom":
		w.del = max(0, w.del-1)
	case "t":
		w.inText = false
	case "delText":
		w.inDelText = false
	case "p":
		w.endParagraph()
	case "tc":
		if w.tables == 1 {
			w.row = append(w.row, strings.Join(strings.Fields(w.cell.String()), " "))
			w.cell.Reset()
		} else {
			w.cell.WriteString(" ")
		}
	case "tr":
		if w.tables == 1 {
			if strings.TrimSpace(strings.Join(w.row, "")) != "" {
				w.body.line(strings.Join(w.row, " | "))
			}
			w.row = w.row[:0]
		}
	case "tbl":
		w.tables = max(0, w.tables-1)
	}
}

func (w *wordReader) chars(s string) {
	switch {
	case w.inDelText || (w.inText && w.del > 0):
		w.paraDel.WriteString(s)
	case w.inText:
		w.write(s)
		if w.ins > 0 {
			w.paraIns.WriteString(s)
		}
	}
}

// write adds text that stays in the body; a deleted run's tabs and breaks
// are not written.
func (w *wordReader) write(s string) {
	if w.del > 0 {
		return
	}
	w.para.WriteString(s)
}

func (w *wordReader) endParagraph() {
	if s := strings.Join(strings.Fields(w.paraIns.String()), " "); s != "" {
		w.out.Inserted = append(w.out.Inserted, s)
	}
	if s := strings.Join(strings.Fields(w.paraDel.String()), " "); s != "" {
		w.out.Deleted = append(w.out.Deleted, s)
	}
	text := w.para.String()
	w.para.Reset()
	if w.tables > 0 {
		w.cell.WriteString(text)
		w.cell.WriteString(" ")
		return
	}
	// Line breaks inside a paragraph stay; other runs of spaces collapse.
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	w.body.line(strings.Join(lines, "\n"))
}
