package pipeline

import (
	"path"
	"slices"

	"github.com/ituwatch/ituwatch/config"
	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
)

// RouteTable sends a match to the destinations of the configured routes
// that take its topic and severity. It is built once from the config's
// routes, which stay plain data.
type RouteTable struct {
	routes []route
}

// route is one config.Route as the pipeline applies it.
type route struct {
	topics      []string // topic ids or path.Match patterns; "*" is every topic
	minSeverity model.Severity
	to          []model.Destination
	digest      bool           // the route gathers alerts into a digest
	digestBelow model.Severity // and posts those at or above this at once; unknown: none
	proposers   []string       // the route takes only documents these proposed; none: every item
}

// NewRouteTable builds the routes of the config, in their order. A route
// without a severity takes every match (the config's defaults set one).
func NewRouteTable(routes []config.Route) *RouteTable {
	t := &RouteTable{routes: make([]route, len(routes))}
	for i, r := range routes {
		t.routes[i] = route{topics: r.Topics, minSeverity: r.MinSeverity, to: r.To, proposers: r.Proposers}
		if r.Digest != nil {
			t.routes[i].digest = true
			t.routes[i].digestBelow = r.Digest.Below
		}
	}
	return t
}

// ForItem is the table of the routes that take it: a route with proposers
// takes only the documents one of them proposed.
func (t *RouteTable) ForItem(it *model.Item) Routes {
	if !slices.ContainsFunc(t.routes, func(r route) bool { return len(r.proposers) > 0 }) {
		return t
	}
	var doc *model.DocumentRef
	if it != nil {
		doc = it.Document
	}
	out := &RouteTable{}
	for _, r := range t.routes {
		if len(r.proposers) == 0 || itudoc.ProposedByAny(doc, r.proposers) {
			out.routes = append(out.routes, r)
		}
	}
	return out
}

// takes reports whether the route takes a match of topic at severity sev.
func (r route) takes(topic string, sev model.Severity) bool {
	if sev < r.minSeverity {
		return false
	}
	for _, pat := range r.topics {
		if pat == "*" || pat == topic {
			return true
		}
		if ok, _ := path.Match(pat, topic); ok {
			return true
		}
	}
	return false
}

// DestinationsFor lists where a match of topic at severity sev goes at
// once: the destinations of every route that takes it and does not gather
// it into a digest, in route order, each once.
func (t *RouteTable) DestinationsFor(topic string, sev model.Severity) []model.Destination {
	return t.destinations(topic, sev, false)
}

// toDigest reports whether the route sends a match at severity sev to its
// digest rather than at once.
func (r route) toDigest(sev model.Severity) bool {
	return r.digest && (r.digestBelow == model.SeverityUnknown || sev < r.digestBelow)
}

// DigestDestinationsFor lists the destinations whose digest a match of
// topic at severity sev goes into, in route order, each once. A destination
// that DestinationsFor also gives gets the match at once, not in its digest.
func (t *RouteTable) DigestDestinationsFor(topic string, sev model.Severity) []model.Destination {
	return t.destinations(topic, sev, true)
}

// destinations collects the destinations of the routes that take the match
// and send it to their digest (digest) or at once (!digest).
func (t *RouteTable) destinations(topic string, sev model.Severity, digest bool) []model.Destination {
	var out []model.Destination
	seen := map[string]bool{}
	for _, r := range t.routes {
		if !r.takes(topic, sev) || r.toDigest(sev) != digest {
			continue
		}
		for _, d := range r.to {
			if k := d.String(); !seen[k] {
				seen[k] = true
				out = append(out, d)
			}
		}
	}
	return out
}
