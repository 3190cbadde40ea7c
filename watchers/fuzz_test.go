package watchers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseFeed checks that no body, however broken, panics the parser or
// yields items without ids or with invalid UTF-8.
func FuzzParseFeed(f *testing.F) {
	// Small seeds keep the fuzzer fast; the big fixtures add nothing new.
	for _, p := range []string{"rdf.xml", "jsonfeed.json", "atom.xml", "latin1-undeclared.xml"} {
		if b, err := os.ReadFile(filepath.Join("testdata/feeds", p)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("<rss><channel><item><title>\xff</title></item></channel></rss>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := parseFeed("fuzz", body, "", "", fixedNow)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, it := range items {
			if it.ID == "" || seen[it.ID] {
				t.Fatalf("empty or repeated id %q", it.ID)
			}
			seen[it.ID] = true
			if !utf8.ValidString(it.Title) || !utf8.ValidString(it.Summary) || !utf8.ValidString(it.Content) {
				t.Fatalf("invalid UTF-8 in %+v", it)
			}
			if len(it.Content) > maxContentLen || len(it.Title) > maxTitleBytes {
				t.Fatalf("size caps not applied: title %d, content %d", len(it.Title), len(it.Content))
			}
		}
	})
}

// FuzzHTMLToText checks that the text never keeps a tag the input had and
// that the result is already tidy (idempotent for plain text).
func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{"<p>a</p><p>b</p>", "AT&amp;T", "<script>x</script>y", "a\n\n\nb  c", "<b>x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := htmlToText(s)
		if strings.Contains(out, "<script") && !strings.Contains(s, "&lt;script") && !strings.Contains(s, "&#") {
			t.Fatalf("script tag survived: %q -> %q", s, out)
		}
		if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "\n\n\n") {
			t.Fatalf("untidy output %q", out)
		}
	})
}
