package watchers

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/ituwatch/ituwatch/internal/links"
	"github.com/ituwatch/ituwatch/model"
)

// From gofeed's items to model.Items: plain text, links made absolute and
// canonical, sane dates, ids that are stable across polls.

func normaliseFeed(sourceID string, feed *gofeed.Feed, baseURL string, now time.Time) []model.Item {
	return keepNewest(normaliseItems(sourceID, feed, baseURL, now, make(map[string]bool, len(feed.Items))))
}

// normaliseItems turns the feed's items into model.Items in the feed's
// order, skipping any whose id is in seen (a repeated guid: the first one
// wins) and adding the others'.
func normaliseItems(sourceID string, feed *gofeed.Feed, baseURL string, now time.Time, seen map[string]bool) []model.Item {
	base := parseBase(feed.Link, baseURL)
	items := make([]model.Item, 0, min(len(feed.Items), maxFeedItems))
	for _, fi := range feed.Items {
		if fi == nil {
			continue
		}
		it := normaliseItem(sourceID, fi, base, now)
		if seen[it.ID] {
			continue
		}
		seen[it.ID] = true
		items = append(items, it)
	}
	return items
}

// keepNewest cuts items to maxFeedItems, keeping the newest; items without
// a date count as oldest, and among equals the feed's own order (usually
// newest first) decides.
func keepNewest(items []model.Item) []model.Item {
	if len(items) > maxFeedItems {
		sort.SliceStable(items, func(i, j int) bool { return items[i].When().After(items[j].When()) })
		items = items[:maxFeedItems:maxFeedItems]
	}
	return items
}

func parseBase(feedLink, fetchURL string) *url.URL {
	for _, s := range []string{feedLink, fetchURL} {
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil && u.IsAbs() {
			return u
		}
	}
	return nil
}

func normaliseItem(sourceID string, fi *gofeed.Item, base *url.URL, now time.Time) model.Item {
	it := model.Item{SourceID: sourceID}
	it.Title = truncateText(collapseSpace(htmlToText(fi.Title)), maxTitleBytes)
	it.Summary = truncateText(htmlToText(fi.Description), maxSummaryLen)
	it.Content = truncateText(htmlToText(fi.Content), maxContentLen)
	if it.Content == it.Summary {
		it.Content = "" // one copy is enough for readers and for matching
	}

	link := strings.TrimSpace(fi.Link)
	if link == "" && len(fi.Links) > 0 {
		link = strings.TrimSpace(fi.Links[0])
	}
	it.Link = links.Display(unwrapRedirect(resolveLink(link, base)))

	limit := now.Add(futureDateSlop)
	it.Published = saneDate(fi.PublishedParsed, limit)
	it.Updated = saneDate(fi.UpdatedParsed, limit)

	for _, p := range fi.Authors {
		if p == nil {
			continue
		}
		name := collapseSpace(htmlToText(p.Name))
		if name == "" {
			name = strings.TrimSpace(p.Email)
		}
		if name != "" && !slices.Contains(it.Authors, name) {
			it.Authors = append(it.Authors, name)
		}
	}
	for _, c := range fi.Categories {
		c = collapseSpace(c)
		if c != "" && !slices.Contains(it.Categories, c) {
			it.Categories = append(it.Categories, c)
		}
	}
	it.ID = itemID(strings.TrimSpace(fi.GUID), it)
	return it
}

// saneDate gives the date in UTC, or zero for a date so far in the future
// that it is wrong and would sort the item first for days.
func saneDate(t *time.Time, limit time.Time) time.Time {
	if t == nil || t.IsZero() || t.After(limit) {
		return time.Time{}
	}
	return t.UTC()
}

// itemID is stable across polls: the guid, else the canonical link, else a
// hash of what the reader sees.
func itemID(guid string, it model.Item) string {
	if guid != "" {
		return guid
	}
	if it.Link != "" {
		return links.Canonical(it.Link)
	}
	h := sha256.New()
	h.Write([]byte(it.Title))
	h.Write([]byte{0})
	if !it.Published.IsZero() {
		h.Write([]byte(it.Published.Format(time.RFC3339)))
	}
	if it.Title == "" && it.Published.IsZero() {
		h.Write([]byte{0})
		h.Write([]byte(it.Summary))
		h.Write([]byte{0})
		h.Write([]byte(it.Content))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:32]
}

func resolveLink(link string, base *url.URL) string {
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	if !u.IsAbs() && base != nil {
		return base.ResolveReference(u).String()
	}
	return link
}

// unwrapRedirect replaces a Google Alerts click-tracking link with the
// article it points at, so the same story from two sources has one link.
func unwrapRedirect(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Path != "/url" {
		return link
	}
	host := strings.ToLower(u.Hostname())
	if host != "google.com" && !strings.HasSuffix(host, ".google.com") {
		return link
	}
	q := u.Query()
	for _, k := range []string{"url", "q"} {
		if target, err := url.Parse(q.Get(k)); err == nil && target.IsAbs() && (target.Scheme == "http" || target.Scheme == "https") {
			return target.String()
		}
	}
	return link
}
