package web

import (
	"net/http"
	"testing"
)

// Browsers ask for /favicon.ico on their own; a 404 there is an error in
// every visitor's console (the browser test, cmd/ituwatch/web_e2e_test.go,
// fails on it). The view has no icon and says so without an error, behind
// auth like every other answer.
func TestFaviconIsNoError(t *testing.T) {
	h := newTestHandler(t, fixture(), nil)
	r := get(t, h, http.MethodGet, "/favicon.ico", nil)
	if r.StatusCode != http.StatusNoContent {
		t.Errorf("GET /favicon.ico: %d, want 204 No Content", r.StatusCode)
	}
	checkHeaders(t, r)
	if b := body(t, r); b != "" {
		t.Errorf("GET /favicon.ico has a body: %q", b)
	}
}
