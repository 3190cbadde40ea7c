package watchers

// Reading a body: decoded, capped at MaxBodyBytes, into buffers that are
// charged to the body budget before they are allocated and reused when
// small.

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// readBody reads at most MaxBodyBytes of decoded body, growing hold
// before each buffer it allocates.
func (f *Fetcher) readBody(ctx context.Context, resp *http.Response, hold *bodyHold) ([]byte, error) {
	var r io.Reader = resp.Body
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		gz, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("the site sent a broken gzip body: %w", err)
		}
		defer gz.Close()
		r = gz
	default:
		return nil, fmt.Errorf("the site sent the body in an encoding the bot does not read (%q)", enc)
	}
	limit := f.opts.MaxBodyBytes
	// Sized from Content-Length when the body is not compressed, so that
	// reading a feed is one allocation instead of a dozen growing copies.
	// A server that claims more than it sends costs that much of the
	// budget for the moment, no more.
	size := int64(512)
	if r == resp.Body && resp.ContentLength > 0 {
		size = min(resp.ContentLength, limit) + 1
	}
	grow := func(n int) error {
		if err := hold.grow(ctx, int64(n)); err != nil {
			return fmt.Errorf("waiting for memory to read the body (other large bodies are being read): %w", err)
		}
		return nil
	}
	body, err := readAll(io.LimitReader(r, limit+1), int(size), int(limit+1), grow)
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: more than %s (the limit is max_body_bytes)", ErrBodyTooLarge, byteSize(limit))
	}
	return body, nil
}

// spareBodies holds the buffers of bodies found unchanged, for the next
// reads: most polls of a watched feed find it unchanged, and a poll cycle
// of a thousand feeds would otherwise leave a thousand bodies to the
// garbage collector. Only buffers up to maxSpareBody are kept: a pool of
// large ones would be memory outside the body budget.
var spareBodies sync.Pool // of *[]byte

const maxSpareBody = 1 << 20

func releaseBody(b []byte) {
	if cap(b) <= maxSpareBody {
		spareBodies.Put(&b)
	}
}

// readAll is io.ReadAll of a reader that ends after at most limit bytes,
// starting with a buffer of at least the given size and calling grow with
// the bytes each larger buffer adds before it is taken.
func readAll(r io.Reader, size, limit int, grow func(int) error) ([]byte, error) {
	var b []byte
	if p, _ := spareBodies.Get().(*[]byte); p != nil && cap(*p) >= size {
		b = (*p)[:0]
		if err := grow(cap(b)); err != nil {
			releaseBody(b)
			return nil, err
		}
	} else {
		if p != nil {
			spareBodies.Put(p)
		}
		// Granted before it is allocated: waiting must not hold memory.
		if err := grow(size); err != nil {
			return nil, err
		}
		b = make([]byte, 0, size)
	}
	for {
		if len(b) == cap(b) && cap(b) < limit {
			// Doubling: fewer copies than append's growth for large
			// buffers. The old buffer is garbage once copied, so the
			// budget is charged the difference.
			next := min(2*cap(b), limit)
			if err := grow(next - cap(b)); err != nil {
				return nil, err
			}
			b = append(make([]byte, 0, next), b...)
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
