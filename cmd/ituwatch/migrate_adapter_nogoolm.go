//go:build !goolm

package main

import (
	"context"
	"database/sql"
)

// createAdapterTables cannot create the Matrix encryption tables in a
// build without encryption (-tags goolm): migrate then leaves them out and
// says so.
func createAdapterTables(context.Context, *sql.DB, string) error { return errNoEncryptionBuild }
