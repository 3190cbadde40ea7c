package doctext

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/itudoc/doctext/doctexttest"
)

// A Council contribution as Word writes it: a cover table, a paragraph with
// a tracked insertion and deletion, a deleted paragraph, a line break.
var contribution = doctexttest.Para("Council 2026") +
	`<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr>` +
	`<w:tr><w:tc><w:p><w:r><w:t>Agenda item:</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>PL 1.7</w:t></w:r></w:p></w:tc></w:tr>` +
	`<w:tr><w:tc><w:p><w:r><w:t>Source:</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Russian</w:t></w:r><w:r><w:t xml:space="preserve"> Federation</w:t></w:r></w:p><w:p><w:r><w:t>RCC</w:t></w:r></w:p></w:tc></w:tr>` +
	`</w:tbl>` +
	`<w:p><w:r><w:t xml:space="preserve">Resolution 102 instructs the Secretary-General </w:t></w:r>` +
	`<w:ins w:id="1" w:author="RCC" w:date="2026-05-01T00:00:00Z"><w:r><w:t xml:space="preserve">to coordinate the allocation of IPv6 address blocks </w:t></w:r></w:ins>` +
	`<w:del w:id="2" w:author="RCC" w:date="2026-05-01T00:00:00Z"><w:r><w:delText xml:space="preserve">to take note of the work of the RIRs </w:delText></w:r></w:del>` +
	`<w:r><w:t>on Internet-related public policy issues.</w:t></w:r></w:p>` +
	`<w:p><w:pPr><w:rPr><w:del w:id="3" w:author="RCC" w:date="2026-05-01T00:00:00Z"/></w:rPr></w:pPr>` +
	`<w:del w:id="4" w:author="RCC" w:date="2026-05-01T00:00:00Z"><w:r><w:tab/><w:delText>This whole paragraph goes.</w:delText></w:r></w:del></w:p>` +
	`<w:p><w:r><w:t>First line</w:t><w:br/><w:t>second line</w:t></w:r></w:p>`

func TestDOCX(t *testing.T) {
	for _, tc := range []struct {
		name      string
		body      string
		limit     int
		want      string
		ins, del  []string
		truncated bool
	}{
		{
			name: "contribution with a table and tracked changes",
			body: contribution,
			want: "Council 2026\nAgenda item: | PL 1.7\nSource: | Russian Federation RCC\n" +
				"Resolution 102 instructs the Secretary-General to coordinate the allocation of IPv6 address blocks on Internet-related public policy issues.\n" +
				"First line\nsecond line",
			ins: []string{"to coordinate the allocation of IPv6 address blocks"},
			del: []string{"to take note of the work of the RIRs", "This whole paragraph goes."},
		},
		{
			name: "no tracked changes",
			body: doctexttest.Para("Addendum 14 to Document 1") + doctexttest.Para("  spaced   out  "),
			want: "Addendum 14 to Document 1\nspaced out",
		},
		{
			name:      "cut at the limit without splitting a character",
			body:      doctexttest.Para("Résolution 102 (Rév. Dubaï, 2018)"),
			limit:     2,
			want:      "R",
			truncated: true,
		},
		{
			name: "other namespaces are passed over",
			body: `<w:p><w:r><w:t>Before</w:t></w:r><w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:Fallback><t>not Word text</t></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t xml:space="preserve"> after</w:t></w:r></w:p>`,
			want: "Before after",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DOCX(doctexttest.DOCX(tc.body), tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if got.Body != tc.want {
				t.Errorf("body:\n%q\nwant\n%q", got.Body, tc.want)
			}
			if !slices.Equal(got.Inserted, tc.ins) || !slices.Equal(got.Deleted, tc.del) {
				t.Errorf("tracked: inserted %q deleted %q, want %q and %q", got.Inserted, got.Deleted, tc.ins, tc.del)
			}
			if got.Truncated != tc.truncated {
				t.Errorf("truncated = %v", got.Truncated)
			}
		})
	}
}

func TestUnreadable(t *testing.T) {
	for _, tc := range []struct {
		name, format string
		data         []byte
	}{
		{"html login page named .docx", FormatDOCX, []byte("<html><body>Sign in to TIES</body></html>")},
		{"zip without document.xml", FormatDOCX, doctexttest.Zip("readme.txt", []byte("hello"))},
		{"broken xml", FormatDOCX, doctexttest.DOCX("<w:p><w:r><w:t>open")},
		{"html named .pdf", FormatPDF, []byte("<html>login</html>")},
		{"truncated pdf", FormatPDF, doctexttest.PDF([][]string{{"Resolution 102"}})[:200]},
		{"pdf without text", FormatPDF, doctexttest.PDF([][]string{{}})},
		{"zip with nothing to read", FormatZIP, doctexttest.Zip("T25-SG21-C-0001!!MSW-E.txt", []byte("x"))},
		{"unknown format", "odt", []byte("x")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Extract(tc.format, tc.data, 0)
			if !errors.Is(err, ErrUnreadable) {
				t.Fatalf("err = %v (text %q), want ErrUnreadable", err, got.Body)
			}
		})
	}
}

func TestPDF(t *testing.T) {
	data := doctexttest.PDF([][]string{
		{"Addendum 14 to Document 1-E", "Common proposals for the work of the Conference"},
		{"Resolution 102 (Rev. Bucharest, 2022): ITU's role with regard to", "international Internet-related public policy issues"},
	})
	got, err := PDF(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Addendum 14 to Document 1-E", "Resolution 102", "Internet-related public policy issues"} {
		if !strings.Contains(got.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, got.Body)
		}
	}
	if i, j := strings.Index(got.Body, "Addendum"), strings.Index(got.Body, "Resolution"); i > j {
		t.Errorf("pages out of order:\n%s", got.Body)
	}
}

func TestZip(t *testing.T) {
	docx := doctexttest.DOCX(doctexttest.Para("Inside the archive: Resolution 102"))
	got, err := Extract(FormatZIP, doctexttest.Zip("S26-PP-C-0001!!MSW-E.docx", docx), 0)
	if err != nil || got.Body != "Inside the archive: Resolution 102" {
		t.Fatalf("got %q, %v", got.Body, err)
	}
	got, err = Extract(FormatZIP, doctexttest.Zip("S26-PP-C-0001!!PDF-E.pdf", doctexttest.PDF([][]string{{"A PDF in a zip"}})), 0)
	if err != nil || !strings.Contains(got.Body, "A PDF in a zip") {
		t.Fatalf("got %q, %v", got.Body, err)
	}
}

func TestFormatOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://www.itu.int/dms_pub/itu-s/md/26/pp/c/S26-PP-C-0001!!MSW-E.docx": FormatDOCX,
		"/dms_pub/itu-t/md/25/sg21/td/T25-SG21-TD-0348%21%21PDF-E.PDF":           FormatPDF,
		"S26-PP-C-0001!!ZPF-E.zip": FormatZIP,
		"S26-PP-C-0001!!HTM-E.htm": FormatHTM,
		"S26-PP-C-0001!!MSW-E.doc": "",
	} {
		if got := FormatOf(in); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestExtractionTime logs how long a 1 MB Word file and a 50-page PDF take
// (the figures of the report); it fails only if either takes absurdly long.
func TestExtractionTime(t *testing.T) {
	// Words drawn at random, so that the file compresses as a real one
	// does and is 1 MB zipped.
	words := strings.Fields("Member States invited contribute work Internet-related public policy issues Resolution 102 Council Working Group IPv6 deployment Secretary-General instructs Plenipotentiary Conference Bucharest numbering naming addressing resources Sector Bureau")
	rng := rand.New(rand.NewPCG(1, 2))
	var body strings.Builder
	var docx []byte
	for i := 0; len(docx) < 1<<20; i++ {
		fmt.Fprintf(&body, `<w:p><w:r><w:t xml:space="preserve">%d. `, i)
		for range 40 {
			body.WriteString(words[rng.IntN(len(words))] + " ")
		}
		fmt.Fprintf(&body, `</w:t></w:r><w:ins w:id="%d" w:author="A"><w:r><w:t>and IPv6 deployment</w:t></w:r></w:ins></w:p>`, i)
		if i%2000 == 1999 {
			docx = doctexttest.DOCX(body.String())
		}
	}
	var pages [][]string
	for p := 0; p < 50; p++ {
		var lines []string
		for l := 0; l < 50; l++ {
			lines = append(lines, fmt.Sprintf("Page %d line %d: the Council Working Group on international Internet-related public policy issues", p+1, l+1))
		}
		pages = append(pages, lines)
	}
	pdfData := doctexttest.PDF(pages)
	start := time.Now()
	d, err := DOCX(docx, 0)
	docxTime := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	p, err := PDF(pdfData, 0)
	pdfTime := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("DOCX %d KB zipped (%d KB XML) -> %d KB text in %s; PDF 50 pages %d KB -> %d KB text in %s",
		len(docx)>>10, body.Len()>>10, len(d.Body)>>10, docxTime, len(pdfData)>>10, len(p.Body)>>10, pdfTime)
	if docxTime > 30*time.Second || pdfTime > 30*time.Second {
		t.Errorf("extraction too slow")
	}
}
