package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Each dialect has its own numbered files, with the same numbers: a number
// that needs nothing on one dialect has a file with only a comment there.
// The version recorded in schema_migrations is the number alone, so the
// SQLite files could move into their directory without existing databases
// noticing.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var embeddedMigrations embed.FS

var (
	sqliteMigrations   = mustSub(embeddedMigrations, "migrations/sqlite")
	postgresMigrations = mustSub(embeddedMigrations, "migrations/postgres")
)

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads NNNN_name.sql files in version order. Versions must be
// unique; gaps are allowed so that a withdrawn migration keeps its number.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	seen := map[int]string{}
	for _, name := range names {
		prefix, _, ok := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_', e.g. 0002_add_index.sql", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", other, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate applies the migrations newer than the database, each in its own
// transaction together with its schema_migrations row, so a crash leaves the
// schema at a known version.
func migrate(ctx context.Context, db migrationDB, fsys fs.FS, pg bool) error {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	create := `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL)`
	if pg {
		create = strings.Replace(create, "applied_at INTEGER", "applied_at BIGINT ", 1)
	}
	if _, err := db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	if current > latest {
		where := "store.path at another file"
		if pg {
			where = "store.dsn at another database or schema"
		}
		return fmt.Errorf("the database has schema version %d but this ituwatch only knows up to %d: it was written by a newer ituwatch; upgrade ituwatch, or point %s", current, latest, where)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		err := func() error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			// Another process may have applied it while this one waited.
			var done int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&done); err != nil {
				return err
			}
			if done > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, time.Now().UnixNano()); err != nil {
				return err
			}
			return tx.Commit()
		}()
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
	}
	return nil
}

// migrationDB is what migrate needs: a pool, or (on Postgres) the one
// connection that holds the migration lock.
type migrationDB interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// migratePostgres migrates under an advisory lock, so that instances
// started together do not apply the same migration at once (the second
// would fail on a table the first created). Advisory locks belong to the
// database, so the key names the schema: stores in other schemas of the
// same database (tests run in parallel so) do not wait for each other.
// The lock is a session lock on one pinned connection, released when
// migrating ends (or the connection does, if the process dies).
func migratePostgres(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext(current_schema() || ':ituwatch-migrate'))`); err != nil {
		return fmt.Errorf("wait for other instances' migrations: %w", err)
	}
	defer func() {
		// With a dead connection the server has let go of the lock already.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext(current_schema() || ':ituwatch-migrate'))`)
	}()
	var schema sql.NullString
	if err := conn.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if !schema.Valid {
		return errors.New("no schema to create tables in: the search_path names no schema that exists; create it, or fix search_path in store.dsn")
	}
	return migrate(ctx, conn, postgresMigrations, true)
}
