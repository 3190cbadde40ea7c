//go:build goolm

package matrix

import (
	"context"
	"fmt"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/crypto/cryptohelper"
)

// EncryptionCompiled reports whether this binary can take part in
// end-to-end encrypted rooms; this build can (-tags goolm).
func EncryptionCompiled() bool { return true }

// initCrypto sets up end-to-end encryption with mautrix's crypto helper and
// the pure-Go olm implementation. The olm account, megolm sessions and the
// room state the crypto machine needs live in the store's own database
// (tables crypto_* and mx_*), their keys encrypted with the pickle key.
func (c *Client) initCrypto(ctx context.Context, opts Options) error {
	dialect := opts.DBDialect
	if dialect == "" {
		dialect = "sqlite"
	}
	db, err := dbutil.NewWithDB(opts.DB, dialect)
	if err != nil {
		return fmt.Errorf("set up matrix encryption: %w", err)
	}
	// The helper keeps its room state (who is in a room, is it encrypted) in
	// the same database when the client has no state store of its own.
	c.cli.StateStore = nil
	helper, err := cryptohelper.NewCryptoHelper(c.cli, []byte(opts.PickleKey), db)
	if err != nil {
		return fmt.Errorf("set up matrix encryption: %w", err)
	}
	if err := helper.Init(ctx); err != nil {
		return fmt.Errorf("set up matrix encryption (if the pickle key or the bot's device changed, see docs/matrix.md): %w", err)
	}
	// Never helper.Close(): it would close the store's database.
	c.cli.Crypto = helper
	c.log.Info("matrix end-to-end encryption ready", "device", c.cli.DeviceID)
	return nil
}
