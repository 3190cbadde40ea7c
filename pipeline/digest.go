package pipeline

import (
	"context"
	"fmt"
	"slices"

	"github.com/ituwatch/ituwatch/model"
)

// DigestRoutes is what a Routes also answers when some routes gather
// alerts into digests; the daemon's RouteTable does.
type DigestRoutes interface {
	DigestDestinationsFor(topic string, sev model.Severity) []model.Destination
}

// ChannelDigests is what an ItemStore also answers when channels can ask,
// in chat, for their alerts in a digest; *store.Store does.
type ChannelDigests interface {
	ChannelDigests(ctx context.Context) ([]model.ChannelDigest, error)
}

// splitDigests takes out of dests the destinations that receive this
// alert in a digest, and adds those of digest routes: a destination a
// route posts to at once keeps the alert at once (a route that splits by
// severity); one whose channel asked for a digest of the alert's topics
// gets it there.
func (in *Ingester) splitDigests(ctx context.Context, b *batch, routes Routes, matches []model.Match, dests []string) (now, digest []string, err error) {
	channels, err := b.channelDigests(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range dests {
		if c, has := channels[d]; has && coversAny(c.Topics, matches) {
			digest = append(digest, d)
		} else {
			now = append(now, d)
		}
	}
	if dr, ok := routes.(DigestRoutes); ok {
		for _, m := range matches {
			for _, d := range dr.DigestDestinationsFor(m.Topic, m.Severity) {
				if k := d.String(); !slices.Contains(now, k) && !slices.Contains(digest, k) {
					digest = append(digest, k)
				}
			}
		}
	}
	return now, digest, nil
}

// coversAny reports whether a channel digest of topics (all when empty)
// takes any of the matches.
func coversAny(topics []string, matches []model.Match) bool {
	if len(topics) == 0 || slices.Contains(topics, "*") {
		return true
	}
	for _, m := range matches {
		if slices.Contains(topics, m.Topic) {
			return true
		}
	}
	return false
}

// channelDigests are the digests channels asked for in chat, read once per
// batch, when its first alert is routed: not a query per alert.
func (b *batch) channelDigests(ctx context.Context) (map[string]model.ChannelDigest, error) {
	if b.digestsRead {
		return b.digests, nil
	}
	cd, ok := b.in.opts.Store.(ChannelDigests)
	if !ok {
		b.digestsRead = true
		return nil, nil
	}
	all, err := cd.ChannelDigests(ctx)
	if err != nil {
		return nil, fmt.Errorf("read channel digests: %w", err)
	}
	b.digests = make(map[string]model.ChannelDigest, len(all))
	for _, c := range all {
		b.digests[c.Destination] = c
	}
	b.digestsRead = true
	return b.digests, nil
}
