// Package links reduces a web link to the form ituwatch compares links in:
// the watchers give an item the link a reader is shown and, when it has no
// guid, an id made from the link; the pipeline recognises one story told
// twice by its link. All three must agree on what "the same link" means.
package links

import (
	"net/url"
	"strings"
)

// TrackingParam reports query keys that only identify a campaign or a click.
func TrackingParam(key string) bool {
	k := strings.ToLower(key)
	if strings.HasPrefix(k, "utm_") {
		return true
	}
	switch k {
	case "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid", "_hsenc", "_hsmi", "mkt_tok":
		return true
	}
	return false
}

// Canonical is the link as an identity: scheme and host lowercased,
// default port, fragment and tracking parameters removed, "/" for an empty
// path. Other parameters keep their order and raw form, since some sites
// put the article id there. A link that is not absolute is only trimmed.
func Canonical(raw string) string { return clean(raw, false) }

// Display is Canonical that keeps the fragment: the link shown to readers,
// where "#section-3" can matter but utm_source never does.
func Display(raw string) string { return clean(raw, true) }

func clean(raw string, keepFragment bool) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	if !keepFragment {
		u.Fragment, u.RawFragment = "", ""
	}
	if u.Path == "" && u.Opaque == "" {
		u.Path = "/"
	}
	if u.RawQuery != "" {
		var kept []string
		for _, pair := range strings.Split(u.RawQuery, "&") {
			key, _, _ := strings.Cut(pair, "=")
			if k, err := url.QueryUnescape(key); err == nil {
				key = k
			}
			if pair == "" || TrackingParam(key) {
				continue
			}
			kept = append(kept, pair)
		}
		u.RawQuery = strings.Join(kept, "&")
	}
	u.ForceQuery = false
	return u.String()
}
