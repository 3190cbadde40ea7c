//go:build !goolm

package matrix

import (
	"context"
	"errors"
)

// EncryptionCompiled reports whether this binary can take part in
// end-to-end encrypted rooms; this build cannot (it lacks -tags goolm).
func EncryptionCompiled() bool { return false }

// initCrypto is the stand-in of builds without the goolm tag: mautrix's
// crypto package needs either libolm through cgo or the pure-Go goolm, and
// ituwatch only supports the latter.
func (c *Client) initCrypto(context.Context, Options) error {
	return errors.New(errNoCryptoBuild)
}
