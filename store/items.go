package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ituwatch/ituwatch/model"
)

const itemColumns = `source_id, item_id, title, link, published, updated, summary, content, authors, categories, document`

type scanner interface{ Scan(dest ...any) error }

// scanItem reads itemColumns followed by extra destinations.
func scanItem(sc scanner, extra ...any) (model.Item, error) {
	var (
		it                          model.Item
		published, updated          sql.NullInt64
		authors, categories, docRef sql.NullString
	)
	dest := append([]any{&it.SourceID, &it.ID, &it.Title, &it.Link, &published, &updated,
		&it.Summary, &it.Content, &authors, &categories, &docRef}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return it, err
	}
	it.Published = timeFrom(published)
	it.Updated = timeFrom(updated)
	if err := unmarshalNull(authors, &it.Authors); err != nil {
		return it, fmt.Errorf("authors of %s/%s: %w", it.SourceID, it.ID, err)
	}
	if err := unmarshalNull(categories, &it.Categories); err != nil {
		return it, fmt.Errorf("categories of %s/%s: %w", it.SourceID, it.ID, err)
	}
	if docRef.Valid {
		it.Document = new(model.DocumentRef)
		if err := json.Unmarshal([]byte(docRef.String), it.Document); err != nil {
			return it, fmt.Errorf("document of %s/%s: %w", it.SourceID, it.ID, err)
		}
	}
	return it, nil
}

func unmarshalNull(s sql.NullString, v any) error {
	if !s.Valid {
		return nil
	}
	return json.Unmarshal([]byte(s.String), v)
}

// jsonArg encodes v, or NULL when v is empty, so that nil and empty lists
// both read back as nil.
func jsonArg[T any](v []T) (any, error) {
	if len(v) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// PriorItems returns the stored version of each of a source's items that
// was seen before, by item id; ids never seen are absent. A poll looks its
// whole batch up at once.
func (s *Store) PriorItems(ctx context.Context, sourceID string, itemIDs []string) (map[string]*model.PriorItem, error) {
	out := make(map[string]*model.PriorItem, len(itemIDs))
	for chunk := range slices.Chunk(itemIDs, maxListArg) {
		ids, err := json.Marshal(chunk)
		if err != nil {
			return nil, err
		}
		if err := s.priorItems(ctx, sourceID, string(ids), out); err != nil {
			return nil, fmt.Errorf("look up %d items of %s: %w", len(chunk), sourceID, err)
		}
	}
	return out, nil
}

// maxListArg bounds the ids passed to one query as a JSON list.
const maxListArg = 500

func (s *Store) priorItems(ctx context.Context, sourceID, idsJSON string, into map[string]*model.PriorItem) error {
	rows, err := s.r.QueryContext(ctx, `SELECT `+itemColumns+`, fingerprint, first_alert_id, last_alert_id, first_seen
		FROM items WHERE source_id = ? AND item_id IN (`+s.jsonList()+`)`, sourceID, idsJSON)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			p                     model.PriorItem
			firstAlert, lastAlert sql.NullInt64
			firstSeen             sql.NullInt64
		)
		it, err := scanItem(rows, &p.Fingerprint, &firstAlert, &lastAlert, &firstSeen)
		if err != nil {
			return err
		}
		p.Item = it
		p.FirstAlertID = firstAlert.Int64
		p.LastAlertID = lastAlert.Int64
		p.FirstSeen = timeFrom(firstSeen)
		into[it.ID] = &p
	}
	return rows.Err()
}

// SeenFingerprints returns which of the fingerprints a source already has
// an item with, whatever its id: a feed that re-publishes items under new
// guids on every poll.
func (s *Store) SeenFingerprints(ctx context.Context, sourceID string, fingerprints []string) (map[string]bool, error) {
	out := map[string]bool{}
	for chunk := range slices.Chunk(fingerprints, maxListArg) {
		list, err := json.Marshal(chunk)
		if err != nil {
			return nil, err
		}
		rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT fingerprint FROM items
			WHERE source_id = ? AND fingerprint IN (`+s.jsonList()+`)`, sourceID, string(list))
		if err != nil {
			return nil, fmt.Errorf("look up fingerprints in %s: %w", sourceID, err)
		}
		fps, err := scanStrings(rows)
		if err != nil {
			return nil, fmt.Errorf("look up fingerprints in %s: %w", sourceID, err)
		}
		for _, fp := range fps {
			out[fp] = true
		}
	}
	return out, nil
}

// SaveItems saves a poll's batch in one transaction: each item is upserted
// and, if its Alert != nil, the alert is inserted with its matches and its
// deliveries. It returns one error per save (nil for the saved ones): a
// save that fails is undone alone and the others are kept. Sets Alert.ID and
// Alert.CreatedAt of the alerts stored.
func (s *Store) SaveItems(ctx context.Context, saves []model.ItemSave) []error {
	now := storedTime(s.now())
	errs := make([]error, len(saves))
	ids := make([]int64, len(saves))
	// Saves rarely fail, so the batch is first written as a whole. If one
	// fails, the transaction is undone and written again with a savepoint
	// per save, which undoes a failed one alone (each costs two statements
	// and a copy of every page the save touches).
	careful := false
	// On Postgres, batches written at once that file items under the same
	// stories would update those alerts in different orders and deadlock;
	// each batch locks its stories' alerts first, in id order.
	var stories []int64
	if s.pg {
		for _, sv := range saves {
			if sv.Alert == nil && sv.JoinAlertID != 0 && !slices.Contains(stories, sv.JoinAlertID) {
				stories = append(stories, sv.JoinAlertID)
			}
		}
		slices.Sort(stories)
	}
	write := func(ctx context.Context, tx *sql.Tx) error {
		if len(stories) > 0 {
			in, args := inList(stories)
			rows, err := tx.QueryContext(ctx, `SELECT id FROM alerts WHERE id IN (`+in+`) ORDER BY id FOR NO KEY UPDATE`, args...)
			if err != nil {
				return fmt.Errorf("lock the alerts of the batch's stories: %w", err)
			}
			if _, err := scanIDs(rows); err != nil {
				return fmt.Errorf("lock the alerts of the batch's stories: %w", err)
			}
		}
		if !careful {
			for i := 0; i < len(saves); {
				var err error
				if j := i + plainRun(saves[i:]); j > i {
					err = savePlain(ctx, tx, s.pg, saves[i:j], now)
					i = j
				} else {
					ids[i], err = saveOne(ctx, tx, s.pg, &saves[i], now)
					i++
				}
				if err != nil {
					if s.pg && pgRetryable(err) {
						// Lost a deadlock to another batch: the whole
						// transaction is run again (pgWrite), not the
						// saves one by one.
						return err
					}
					careful = true
					return errSaveFailed
				}
			}
			return nil
		}
		for i := range saves {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT save_item`); err != nil {
				return err
			}
			ids[i], errs[i] = saveOne(ctx, tx, s.pg, &saves[i], now)
			if s.pg && pgRetryable(errs[i]) {
				return errs[i] // as above: not this save's fault
			}
			if errs[i] != nil {
				ids[i] = 0
				errs[i] = fmt.Errorf("save item %s/%s: %w", saves[i].Item.SourceID, saves[i].Item.ID, errs[i])
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO save_item`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE save_item`); err != nil {
				return err
			}
		}
		return nil
	}
	err := s.writeTx(ctx, write)
	if errors.Is(err, errSaveFailed) {
		// Written alone and failed: write again, carefully. (In a group,
		// the group commit already ran write again alone.)
		err = s.writeTx(ctx, write)
	}
	if err != nil {
		for i := range errs {
			errs[i] = fmt.Errorf("save item %s/%s: %w", saves[i].Item.SourceID, saves[i].Item.ID, err)
		}
		return errs
	}
	for i := range saves {
		if errs[i] == nil {
			setAlert(saves[i].Alert, ids[i], now)
		}
	}
	return errs
}

// errSaveFailed undoes a batch written as a whole, to write it again with
// a savepoint per save.
var errSaveFailed = errors.New("a save of the batch failed")

func setAlert(a *model.Alert, id int64, now time.Time) {
	if a != nil {
		a.ID = id
		a.CreatedAt = now
	}
}

// plainRun is how many saves at the start of saves raise no alert: they
// store an item, and may file it under an earlier alert's story.
func plainRun(saves []model.ItemSave) int {
	n := 0
	for n < len(saves) && saves[n].Alert == nil {
		n++
	}
	return n
}

// savePlain writes saves that raise no alert, as saveOne would.
func savePlain(ctx context.Context, tx *sql.Tx, pg bool, saves []model.ItemSave, now time.Time) error {
	if err := upsertItems(ctx, tx, saves, now); err != nil {
		return err
	}
	for i := range saves {
		if saves[i].JoinAlertID != 0 {
			if err := joinStory(ctx, tx, pg, saves[i].JoinAlertID, saves[i].Item.SourceID); err != nil {
				return err
			}
		}
	}
	return nil
}

// saveOne writes one model.ItemSave in tx and returns its alert id (0 if none).
func saveOne(ctx context.Context, tx *sql.Tx, pg bool, sv *model.ItemSave, now time.Time) (int64, error) {
	it := sv.Item
	var (
		rowID int64
		err   error
	)
	if sv.Alert != nil && sv.Alert.Kind == model.AlertSummary {
		// A summary is filed under an item its poll stored, as it is
		// now: the copy it carries may be an older version (a batch
		// that repeats an id), which must not overwrite it.
		err = tx.QueryRowContext(ctx, `SELECT id FROM items WHERE source_id = ? AND item_id = ?`, it.SourceID, it.ID).Scan(&rowID)
		if errors.Is(err, sql.ErrNoRows) {
			rowID, err = upsertItem(ctx, tx, &it, sv.Fingerprint, sv.JoinAlertID, now)
		}
	} else {
		rowID, err = upsertItem(ctx, tx, &it, sv.Fingerprint, sv.JoinAlertID, now)
	}
	if err != nil {
		return 0, err
	}
	if sv.Alert == nil {
		if sv.JoinAlertID != 0 {
			return 0, joinStory(ctx, tx, pg, sv.JoinAlertID, it.SourceID)
		}
		return 0, nil
	}
	alertID, err := insertAlert(ctx, tx, rowID, sv.Alert, it, now)
	if err != nil {
		return 0, err
	}
	for _, dest := range sv.Destinations {
		// An update of an alert the destination snoozed waits as
		// 'snoozed' until the snooze ends (see EndSnoozes).
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (alert_id, destination, status, next_attempt, created_at)
			VALUES (?1, ?2, CASE WHEN EXISTS (SELECT 1 FROM snoozes WHERE alert_id = ?3 AND destination = ?2 AND until > ?4)
				THEN 'snoozed' ELSE 'pending' END, ?4, ?4)`, alertID, dest, sv.Alert.ParentID, now.UnixNano()); err != nil {
			return 0, fmt.Errorf("queue delivery to %q: %w", dest, err)
		}
	}
	if err := insertMuted(ctx, tx, alertID, sv.Muted, now); err != nil {
		return 0, err
	}
	if err := oweDigest(ctx, tx, alertID, sv.DigestDestinations, now); err != nil {
		return 0, err
	}
	if sv.Alert.Kind == model.AlertSummary {
		// A summary is not the item's alert: its updates thread under,
		// and search shows, the item's own.
		return alertID, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE items SET first_alert_id = coalesce(first_alert_id, ?1), last_alert_id = ?1 WHERE id = ?2`,
		alertID, rowID); err != nil {
		return 0, err
	}
	return alertID, nil
}

// upsertItem stores one item and returns its row id; a joinAlertID other
// than 0 files it under that alert's story (see joinStory).
func upsertItem(ctx context.Context, tx *sql.Tx, it *model.Item, fingerprint string, joinAlertID int64, now time.Time) (int64, error) {
	args, err := appendItemArgs(make([]any, 0, itemArgCount), it, fingerprint, joinAlertID, now)
	if err != nil {
		return 0, err
	}
	var rowID int64
	if err := tx.QueryRowContext(ctx, upsertItemReturningSQL, args...).Scan(&rowID); err != nil {
		return 0, fmt.Errorf("upsert item: %w", err)
	}
	return rowID, nil
}

// upsertItems stores the items of saves that need no row id (they raise no
// alert): most of a poll's batch, several rows per statement, because a
// statement's own cost is as large as its row's.
func upsertItems(ctx context.Context, tx *sql.Tx, saves []model.ItemSave, now time.Time) error {
	args := make([]any, 0, maxRowsPerUpsert*itemArgCount)
	for len(saves) > 0 {
		n := maxRowsPerUpsert
		for n > min(len(saves), distinctRun(saves)) {
			n /= 2
		}
		args = args[:0]
		for i := range saves[:n] {
			it := saves[i].Item
			var err error
			if args, err = appendItemArgs(args, &it, saves[i].Fingerprint, saves[i].JoinAlertID, now); err != nil {
				return fmt.Errorf("item %s/%s: %w", it.SourceID, it.ID, err)
			}
		}
		if _, err := tx.ExecContext(ctx, upsertItemsSQL[n], args...); err != nil {
			return fmt.Errorf("upsert %d items: %w", n, err)
		}
		saves = saves[n:]
	}
	return nil
}

// distinctRun is how many saves at the start of saves (up to
// maxRowsPerUpsert) name different items: Postgres refuses an upsert that
// would update one row twice, which SQLite does in order.
func distinctRun(saves []model.ItemSave) int {
	type key struct{ source, id string }
	seen := make(map[key]bool, maxRowsPerUpsert)
	for i := range saves[:min(len(saves), maxRowsPerUpsert)] {
		k := key{saves[i].Item.SourceID, saves[i].Item.ID}
		if seen[k] {
			return i
		}
		seen[k] = true
	}
	return min(len(saves), maxRowsPerUpsert)
}

// maxRowsPerUpsert is a power of two: statements of 32, 16, … 1 rows take
// six slots of the statement cache.
const (
	maxRowsPerUpsert = 32
	itemArgCount     = 15
)

// upsertItemsSQL[n] upserts n items; n is a power of two.
var upsertItemsSQL = func() map[int]string {
	const row = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	m := map[int]string{}
	for n := 1; n <= maxRowsPerUpsert; n *= 2 {
		m[n] = `INSERT INTO items (` + itemColumns + `, fingerprint, first_seen, last_seen, first_alert_id)
		VALUES ` + strings.Repeat(row+`, `, n-1) + row + `
		ON CONFLICT (source_id, item_id) DO UPDATE SET
			title = excluded.title, link = excluded.link, published = excluded.published,
			updated = excluded.updated, summary = excluded.summary, content = excluded.content,
			authors = excluded.authors, categories = excluded.categories, document = excluded.document,
			fingerprint = excluded.fingerprint, last_seen = excluded.last_seen,
			first_alert_id = coalesce(items.first_alert_id, excluded.first_alert_id)`
	}
	return m
}()

var upsertItemReturningSQL = upsertItemsSQL[1] + ` RETURNING id`

// appendItemArgs appends the itemArgCount values of it's row in
// upsertItemsSQL to args. An item stored for the first time under a story
// (joinAlertID) gets that alert as its first; one that has an alert keeps
// it.
func appendItemArgs(args []any, it *model.Item, fingerprint string, joinAlertID int64, now time.Time) ([]any, error) {
	// The search index reads these columns as stored (migration 0004), and
	// the characters that mark hits in its snippets must not come from them.
	it.Title, it.Summary, it.Content = withoutHitMarkers(it.Title), withoutHitMarkers(it.Summary), withoutHitMarkers(it.Content)
	it.Title, it.Link, it.Summary, it.Content = storableText(it.Title), storableText(it.Link), storableText(it.Summary), storableText(it.Content)
	authors, err := jsonArg(it.Authors)
	if err != nil {
		return nil, fmt.Errorf("encode authors: %w", err)
	}
	categories, err := jsonArg(it.Categories)
	if err != nil {
		return nil, fmt.Errorf("encode categories: %w", err)
	}
	var docRef any
	if it.Document != nil {
		b, err := json.Marshal(it.Document)
		if err != nil {
			return nil, fmt.Errorf("encode document: %w", err)
		}
		docRef = string(b)
	}
	var firstAlert any
	if joinAlertID != 0 {
		firstAlert = joinAlertID
	}
	return append(args, it.SourceID, it.ID, it.Title, it.Link, timeArg(it.Published), timeArg(it.Updated),
		it.Summary, it.Content, authors, categories, docRef,
		fingerprint, now.UnixNano(), now.UnixNano(), firstAlert), nil
}

func insertAlert(ctx context.Context, tx *sql.Tx, itemRowID int64, a *model.Alert, saved model.Item, now time.Time) (int64, error) {
	snapshot := a.Item
	if snapshot.SourceID == "" && snapshot.ID == "" {
		snapshot = saved
	}
	// Times read back in UTC from the item columns; keep the snapshot alike.
	snapshot.Published = storedTime(snapshot.Published)
	snapshot.Updated = storedTime(snapshot.Updated)
	itemJSON, err := json.Marshal(snapshot)
	if err != nil {
		return 0, fmt.Errorf("encode alert item: %w", err)
	}
	also, err := jsonArg(a.AlsoReportedBy)
	if err != nil {
		return 0, fmt.Errorf("encode also-reported-by: %w", err)
	}
	var parent any
	if a.ParentID != 0 {
		parent = a.ParentID
	}
	heldFrom, err := jsonArg(a.HeldFrom)
	if err != nil {
		return 0, fmt.Errorf("encode held-from: %w", err)
	}
	var held any
	if a.Held != nil {
		b, err := json.Marshal(a.Held)
		if err != nil {
			return 0, fmt.Errorf("encode held alerts: %w", err)
		}
		held = string(b)
	}
	var diff any
	if !a.Diff.Empty() {
		b, err := json.Marshal(a.Diff)
		if err != nil {
			return 0, fmt.Errorf("encode text diff: %w", err)
		}
		diff = string(b)
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO alerts (item_rowid, kind, parent_id, change, item, also_reported_by, created_at, max_severity, held, held_from, diff)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		itemRowID, string(a.Kind), parent, a.Change, string(itemJSON), also, now.UnixNano(), int(a.MaxSeverity()), held, heldFrom, diff).Scan(&id)
	if err != nil {
		if a.ParentID != 0 && isForeignKeyError(err) {
			return 0, fmt.Errorf("insert alert: parent alert %d does not exist: %w", a.ParentID, err)
		}
		return 0, fmt.Errorf("insert alert: %w", err)
	}
	for i, m := range a.Matches {
		hits, err := jsonArg(m.Hits)
		if err != nil {
			return 0, fmt.Errorf("encode hits of %s: %w", m.Topic, err)
		}
		snippets, err := jsonArg(m.Snippets)
		if err != nil {
			return 0, fmt.Errorf("encode snippets of %s: %w", m.Topic, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_matches (alert_id, seq, topic, topic_name, severity, score, annotation, hits, snippets)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, i, m.Topic, m.TopicName, int(m.Severity), m.Score, m.Annotation, hits, snippets); err != nil {
			return 0, fmt.Errorf("insert match %s: %w", m.Topic, err)
		}
	}
	return id, nil
}

// EachItem calls fn for every item first seen since the given time (all
// items for a zero time), oldest first. It reads in pages and holds no
// database connection while fn runs, so fn may use the store.
func (s *Store) EachItem(ctx context.Context, since time.Time, fn func(model.Item) error) error {
	const page = 500
	// Keyset paging on (first_seen, id): start just before since.
	lastSeen, lastID := sinceArg(since), int64(math.MinInt64)
	for {
		items, keys, err := s.itemPage(ctx, lastSeen, lastID, page)
		if err != nil {
			return fmt.Errorf("list items since %s: %w", since.Format(time.RFC3339), err)
		}
		for i, it := range items {
			if err := fn(it); err != nil {
				return err
			}
			lastSeen, lastID = keys[i][0], keys[i][1]
		}
		if len(items) < page {
			return nil
		}
	}
}

func (s *Store) itemPage(ctx context.Context, afterSeen, afterID int64, n int) ([]model.Item, [][2]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+itemColumns+`, first_seen, id FROM items
		WHERE (first_seen, id) > (?, ?) ORDER BY first_seen, id LIMIT ?`, afterSeen, afterID, n)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var (
		items []model.Item
		keys  [][2]int64
	)
	for rows.Next() {
		var seen, id int64
		it, err := scanItem(rows, &seen, &id)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, it)
		keys = append(keys, [2]int64{seen, id})
	}
	return items, keys, rows.Err()
}

func isForeignKeyError(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// storableText is s as both stores can keep it: Postgres refuses NUL
// characters and invalid UTF-8 in text, which a broken feed may send.
// Without them the text reads the same, and the item is not refused.
func storableText(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
