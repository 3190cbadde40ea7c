package watchers

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// tinyFeed is an RSS feed of n tiny items, dated newest first: 100,000 of
// them make the 6 MB feed of issue 12.
func tinyFeed(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<rss version="2.0"><channel><title>tiny</title><link>https://tiny.example/</link>`)
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&b, "<item><guid>t%d</guid><title>Entry %d</title><pubDate>%s</pubDate></item>\n", i, i, start.Add(-time.Duration(i)*time.Minute).Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>\n")
	return b.Bytes()
}

// TestLongFeedStopsAtTheItemCap: parsing a feed of 100,000 items, newest
// first, allocates for the items it keeps, not for all of them (gofeed
// builds every item of the document it is given: 161 MB for 6 MB).
func TestLongFeedStopsAtTheItemCap(t *testing.T) {
	body := tinyFeed(100_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	items, err := parseFeed("s", body, "application/rss+xml", "", fixedNow)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != maxFeedItems {
		t.Fatalf("%d items, want %d", len(items), maxFeedItems)
	}
	for i, it := range items {
		if want := fmt.Sprint("t", i); it.ID != want {
			t.Fatalf("item %d is %s, want %s: the first items of a newest-first feed are its newest", i, it.ID, want)
		}
	}
	// The 1,000 items kept cost about 1 MB to parse; reading all 100,000
	// costs over 100.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bytes of feed, %d allocated", len(body), alloc)
	if limit := uint64(len(body)); alloc > limit {
		t.Errorf("parsing allocated %d MB for a %d MB feed; want at most the feed's size", alloc>>20, len(body)>>20)
	}
}

// TestLongFeedsKeepTheNewest: a feed over the cap read in runs of items
// gives what one parse of the whole document gives, in every shape of
// feed: oldest first, shuffled, undated, Atom, RDF, prefixed names, items
// whose text or comments hold "</item>", repeated guids.
func TestLongFeedsKeepTheNewest(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	order := func(n int, how string) []int {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		switch how {
		case "oldest-first":
		case "newest-first":
			for i := range idx {
				idx[i] = n - 1 - i
			}
		case "shuffled":
			r.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		}
		return idx
	}
	date := func(i int) string { return start.Add(time.Duration(i) * time.Hour).Format(time.RFC1123Z) }
	rss := func(n int, how string, item func(i int) string) []byte {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY co "Company">]><rss version="2.0"><channel><title>&co; news</title><link>https://news.example/</link>`)
		for _, i := range order(n, how) {
			b.WriteString(item(i))
		}
		b.WriteString(`<description>after the items</description></channel></rss>`)
		return []byte(b.String())
	}
	n := 2*maxFeedItems + 321
	cases := map[string][]byte{
		"rss oldest first": rss(n, "oldest-first", func(i int) string {
			return fmt.Sprintf("<item><guid>g%d</guid><title>Item %d</title><pubDate>%s</pubDate></item>\n", i, i, date(i))
		}),
		"rss newest first": rss(n, "newest-first", func(i int) string {
			return fmt.Sprintf("<item><guid>g%d</guid><title>Item %d</title><pubDate>%s</pubDate></item>\n", i, i, date(i))
		}),
		"rss shuffled, markup in text": rss(n, "shuffled", func(i int) string {
			return fmt.Sprintf("<item ref=\"a>b\"><guid>g%d</guid><title>Item %d &co;</title><!-- </item><item> --><description><![CDATA[<p>x</item><item>y</p>]]></description><pubDate>%s</pubDate></item>\n", i, i, date(i))
		}),
		"rss undated, repeated guids": rss(n, "shuffled", func(i int) string {
			s := fmt.Sprintf("<rss:item><guid>g%d</guid><title>Item %d</title></rss:item>\n", i%1500, i)
			if i%100 == 0 {
				s += "<item/>"
			}
			return s
		}),
		"rss dated items among undated": rss(n, "oldest-first", func(i int) string {
			if i%7 == 0 {
				return fmt.Sprintf("<item><guid>g%d</guid><title>Item %d</title><pubDate>%s</pubDate></item>\n", i, i, date(i))
			}
			return fmt.Sprintf("<item><guid>g%d</guid><title>Item %d</title></item>\n", i, i)
		}),
	}
	var atom, rdf strings.Builder
	atom.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><link href="https://atom.example/"/>`)
	rdf.WriteString(`<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="https://rdf.example/"><title>R</title><link>https://rdf.example/</link></channel>`)
	for _, i := range order(n, "shuffled") {
		ts := start.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)
		fmt.Fprintf(&atom, `<entry><id>urn:e%d</id><title type="html">Entry &lt;b&gt;%d&lt;/b&gt;</title><link href="/e/%d"/><updated>%s</updated><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>entry</p></div></content></entry>`+"\n", i, i, i, ts)
		fmt.Fprintf(&rdf, `<item rdf:about="https://rdf.example/%d"><title>R %d</title><link>https://rdf.example/%d</link><dc:date>%s</dc:date></item>`+"\n", i, i, i, ts)
	}
	atom.WriteString(`</feed>`)
	rdf.WriteString(`</rdf:RDF>`)
	cases["atom shuffled"] = []byte(atom.String())
	cases["rdf shuffled"] = []byte(rdf.String())

	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			if got := scanFeedItems(body, maxFeedItems).count; got <= maxFeedItems {
				t.Fatalf("the scan found %d items; the case must have more than %d", got, maxFeedItems)
			}
			got, err := parseFeed("s", body, "", "https://fetched.example/feed", fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			feed, err := newFeedParser().Parse(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			want := normaliseFeed("s", feed, "https://fetched.example/feed", fixedNow)
			if len(got) != len(want) || len(got) == 0 {
				t.Fatalf("%d items, want %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("item %d:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestScanFeedItems(t *testing.T) {
	tests := []struct {
		name, doc string
		items     []string // the text of each item found
		uniform   bool
	}{
		{"rss", `<rss><channel><title>t</title><item>a</item><item>b</item></channel></rss>`, []string{"<item>a</item>", "<item>b</item>"}, true},
		{"atom", `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id></entry><ENTRY/></feed>`, []string{"<entry><id>1</id></entry>", "<ENTRY/>"}, true},
		{"prefixed", `<rdf:RDF><rss:item a="1">x</rss:item></rdf:RDF>`, []string{`<rss:item a="1">x</rss:item>`}, true},
		{"nested item counts once", `<rss><channel><item><x:item>in</x:item></item></channel></rss>`, []string{"<item><x:item>in</x:item></item>"}, true},
		{"markup in text", `<rss><channel><item><d><![CDATA[</item><item>]]></d><!-- </item> --><?pi </item>?></item></channel></rss>`, []string{"<item><d><![CDATA[</item><item>]]></d><!-- </item> --><?pi </item>?></item>"}, true},
		{"quoted >", `<rss><channel><item t="</item>">a</item></channel></rss>`, []string{`<item t="</item>">a</item>`}, true},
		{"doctype", `<!DOCTYPE rss [<!ENTITY x "<item>">]><rss><item>&x;</item></rss>`, []string{"<item>&x;</item>"}, true},
		{"items not ending", `<rss><channel><item>a</item><item>b`, []string{"<item>a</item>"}, true},
		{"sloppy text", `<rss><channel><item>a < b</item></channel></rss>`, []string{"<item>a < b</item>"}, true},
		{"items at two depths", `<rss><channel><item>a</item></channel><item>b</item></rss>`, []string{"<item>a</item>", "<item>b</item>"}, false},
		{"json", `{"items": ["<item>a</item>"]}`, nil, true},
		{"items, plural, is not an item", `<rss><items><item>a</item></items></rss>`, []string{"<item>a</item>"}, true},
	}
	for _, tt := range tests {
		layout := scanFeedItems([]byte(tt.doc), 1)
		var got []string
		for _, s := range layout.runs {
			got = append(got, tt.doc[s.start:s.end])
		}
		if !reflect.DeepEqual(got, tt.items) || layout.uniform != tt.uniform {
			t.Errorf("%s: items %q uniform %v, want %q uniform %v", tt.name, got, layout.uniform, tt.items, tt.uniform)
		}
	}
}

// TestLongFeedWithItemsAtTwoDepths: items the runs cannot regroup (some
// in the channel, some outside it) are cut at the cap, in the feed's
// order, and the document still reads.
func TestLongFeedWithItemsAtTwoDepths(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>odd</title>`)
	for i := range maxFeedItems + 10 {
		if i == 500 {
			b.WriteString(`</channel>`)
		}
		fmt.Fprintf(&b, "<item><guid>g%d</guid><title>Item %d</title></item>", i, i)
	}
	b.WriteString(`</rss>`)
	if scanFeedItems([]byte(b.String()), maxFeedItems).uniform {
		t.Fatal("the scan took the items for uniform")
	}
	items, err := parseFeed("s", []byte(b.String()), "", "", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) < 500 || len(items) > maxFeedItems {
		t.Fatalf("%d items", len(items))
	}
	for _, it := range items {
		var i int
		if _, err := fmt.Sscanf(it.ID, "g%d", &i); err != nil || i >= maxFeedItems {
			t.Errorf("item %s is past the cap", it.ID)
		}
	}
}
