package corpus

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// FeedServer serves Feeds generated feeds at /feed/<n>.rss. Feeds with an
// even number send an ETag and answer a matching If-None-Match with 304;
// odd ones send no validator, so an unchanged poll of them costs a full
// body whose hash the fetcher must compare: both kinds of "nothing changed"
// are exercised.
type FeedServer struct {
	Latency time.Duration // added before every answer, as a distant server would

	bodies [][]byte
	etags  []string
	// gzipped holds the compressed body of the feeds served gzip-encoded
	// (nil for the others); see GzipMost.
	gzipped [][]byte

	OK, NotModified, Missing atomic.Int64
}

// NewFeedServer renders feeds of items items of about itemBytes each.
func NewFeedServer(feeds, items, itemBytes int, base time.Time) *FeedServer {
	s := &FeedServer{bodies: make([][]byte, feeds), etags: make([]string, feeds)}
	for i := range feeds {
		s.bodies[i] = RSS(fmt.Sprintf("Feed %d", i), Feed(i, items, itemBytes, 0, base))
		sum := sha256.Sum256(s.bodies[i])
		s.etags[i] = `"` + hex.EncodeToString(sum[:8]) + `"`
	}
	return s
}

// GzipMost makes three feeds in four answer a client that accepts gzip
// with a gzip-encoded body, as most web servers do for XML; the fourth of
// each four is sent plain, as some feed hosts (and CDNs on a cache miss)
// still do. Both ETag and no-validator feeds are among the compressed ones.
func (s *FeedServer) GzipMost() {
	s.gzipped = make([][]byte, len(s.bodies))
	for i, b := range s.bodies {
		if i%4 == 3 {
			continue
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
		_, _ = zw.Write(b)
		_ = zw.Close()
		s.gzipped[i] = buf.Bytes()
	}
}

// WireBytes is the total size of the bodies as sent to a client that
// accepts gzip.
func (s *FeedServer) WireBytes() int {
	n := 0
	for i, b := range s.bodies {
		if s.gzipped != nil && s.gzipped[i] != nil {
			b = s.gzipped[i]
		}
		n += len(b)
	}
	return n
}

// Bytes is the total size of all feed bodies.
func (s *FeedServer) Bytes() int {
	n := 0
	for _, b := range s.bodies {
		n += len(b)
	}
	return n
}

func (s *FeedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.Latency > 0 {
		t := time.NewTimer(s.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/feed/")
	name, ok2 := strings.CutSuffix(name, ".rss")
	n, err := strconv.Atoi(name)
	if !ok || !ok2 || err != nil || n < 0 || n >= len(s.bodies) {
		s.Missing.Add(1)
		http.NotFound(w, r)
		return
	}
	if n%2 == 0 {
		w.Header().Set("ETag", s.etags[n])
		if r.Header.Get("If-None-Match") == s.etags[n] {
			s.NotModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	s.OK.Add(1)
	body := s.bodies[n]
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	if s.gzipped != nil && s.gzipped[n] != nil {
		w.Header().Set("Vary", "Accept-Encoding")
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			body = s.gzipped[n]
			w.Header().Set("Content-Encoding", "gzip")
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// NewTinyFeedServer serves feeds of TinyRSS(n, items).
func NewTinyFeedServer(feeds, items int) *FeedServer {
	s := &FeedServer{bodies: make([][]byte, feeds), etags: make([]string, feeds)}
	for i := range feeds {
		s.bodies[i] = TinyRSS(i, items)
		sum := sha256.Sum256(s.bodies[i])
		s.etags[i] = `"` + hex.EncodeToString(sum[:8]) + `"`
	}
	return s
}
