//go:build goolm

package main

import (
	"context"
	"database/sql"
	"fmt"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/sqlstatestore"
)

// createAdapterTables has mautrix create (or bring up to date) the tables
// the Matrix bot keeps its encryption keys and room state in (crypto_*,
// mx_*), in the database's own dialect, as the bot does when it starts
// with encryption: migrate then copies the bot's keys into them, and the
// bot carries on as the same device.
func createAdapterTables(ctx context.Context, db *sql.DB, dialect string) error {
	d, err := dbutil.NewWithDB(db, dialect)
	if err != nil {
		return fmt.Errorf("create the Matrix encryption tables: %w", err)
	}
	if err := crypto.NewSQLCryptoStore(d, dbutil.NoopLogger, "", "", nil).DB.Upgrade(ctx); err != nil {
		return fmt.Errorf("create the Matrix encryption tables: %w", err)
	}
	if err := sqlstatestore.NewSQLStateStore(d, dbutil.NoopLogger, false).Upgrade(ctx); err != nil {
		return fmt.Errorf("create the Matrix room state tables: %w", err)
	}
	return nil
}
