package doctext

import (
	"testing"

	"github.com/ituwatch/ituwatch/itudoc/doctext/doctexttest"
)

// FuzzExtract: no input makes the readers panic or exceed the limit.
func FuzzExtract(f *testing.F) {
	f.Add(doctexttest.DOCX(contribution), uint8(0))
	f.Add(doctexttest.PDF([][]string{{"Resolution 102"}}), uint8(1))
	f.Add(doctexttest.Zip("a.docx", doctexttest.DOCX(doctexttest.Para("x"))), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		format := []string{FormatDOCX, FormatPDF, FormatZIP}[int(kind)%3]
		got, err := Extract(format, data, 100)
		if err == nil && len(got.Body) > 100 {
			t.Errorf("%s: body of %d bytes over the limit of 100", format, len(got.Body))
		}
	})
}
