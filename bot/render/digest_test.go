package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
)

func TestDigestTextGolden(t *testing.T) {
	golden(t, "digest.txt", []byte(FormatText(bottest.Digest())+"\n"))
	b, err := FormatJSON(bottest.HostileDigest())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(b, "\n\x1b") || !bytes.Contains(b, []byte(`"kind":"digest"`)) || !bytes.Contains(b, []byte(`"title":"Daily digest: 7 alerts"`)) {
		t.Errorf("digest JSON line = %s", b)
	}
	golden(t, "digest_hostile.json", append(b, '\n'))
	golden(t, "digest_hostile.txt", []byte(FormatText(bottest.HostileDigest())+"\n"))
}

func TestDigestViewWords(t *testing.T) {
	v := NewAlertView(bottest.Digest(), ViewOptions{CommandPrefix: "/itu "}).Digest
	if v == nil {
		t.Fatal("a digest alert has no digest view")
	}
	for _, want := range []string{
		"Daily digest", "7 alerts", "6 Dec 2026 09:00 – 7 Dec 2026 09:00 (Europe/Zurich)", "page 1 of 2",
		"3 matches muted here in this period are not listed",
		"ITU mandate expansion · 3 alerts", "itu-council · 2026-12-07 · doc C26/51 Rev.2 [E, F]", "3 alerts (Rev.1, Rev.2) · #57",
		"also reported by Reuters, The Register · #61", "/itu explain <number>", "/itu digest now",
	} {
		all := v.Title + "|" + v.Headline + "|" + v.Period + "|" + v.Page + "|" + v.Muted + "|" + v.Hint
		for _, tp := range v.Topics {
			all += "|" + tp.Heading
			for _, s := range tp.Stories {
				all += "|" + s.Title + "|" + s.Meta + "|" + s.Counts
			}
		}
		if !strings.Contains(all, want) {
			t.Errorf("digest view lacks %q:\n%s", want, all)
		}
	}
	hostile := FormatText(bottest.HostileDigest())
	if strings.ContainsAny(hostile, "\x1b\x07") {
		t.Errorf("control characters reached the terminal:\n%q", hostile)
	}
}
