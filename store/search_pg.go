package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/ituwatch/ituwatch/model"
)

// Search on Postgres answers as on SQLite: the same words and "phrases"
// (searchPhrases), ANDed, no prefix search, the same ranking (title, then
// title or summary, then anywhere; newer first), the same walk over the
// newest items with its time budget and coverage, snippets with the same
// marks. What differs is the index:
//
//   - items.search_vector (migration 0014) is built from search_fold(text),
//     which splits and folds the text as SQLite's unicode61 tokenizer and
//     ftsTokens do (lower case, diacritics dropped, every run of letters
//     and digits a word), before Postgres's parser sees it. Fed the raw
//     text, that parser keeps "C20/51-E" as one file-name token,
//     "www.itu.int" as one host name and "Résolution" with its accent, so
//     "C20/51", "itu" and "resolution" found nothing there.
//   - A phrase is Postgres's <-> chain of its words, built by
//     phraseto_tsquery from the same folded text, so query and index go
//     through one parser. The vector joins title, summary and content
//     (weights A, B, C) one after another, which would let a phrase run
//     from the end of the title into the summary; each phrase is asked of
//     one weight at a time instead (FTS5's phrases stay in their column).
//   - Snippets are cut in Go from the words ftsTokens reads (snippet.go):
//     ts_headline reads the raw text with Postgres's parser and would leave
//     such words unmarked.
//
// The tiers are read in Go from the candidates' titles and summaries, as
// on SQLite (rankCandidates): asking the index's weights instead uncompressed
// each candidate's whole vector twice, 39 ms for 500 candidates.
//
// The ranking is not ts_rank_cd's, on purpose: users rely on a title hit
// coming first and on the newest coming first among equals, as SQLite
// answers (bm25 was dropped there for its cost, see search), and a
// frequency score would reorder equals differently on the two drivers.

// searchPostgres is SearchCovered on Postgres.
func (s *Store) searchPostgres(ctx context.Context, query string, phrases []string, limit int) ([]model.SearchHit, model.SearchCoverage, error) {
	var cov model.SearchCoverage
	// One snapshot for the walk, the ranking and the items read.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, cov, fmt.Errorf("search %q: %w", query, err)
	}
	defer tx.Rollback()
	pq, top, err := pgSearchSetup(ctx, tx, phrases)
	if err != nil || len(pq) == 0 {
		return nil, cov, wrapSearchErr(query, err)
	}
	tsq := pgAll(pq, pgAnyField)
	// The first window is a quarter of SQLite's: each row Postgres checks
	// costs it the row's whole vector (3–6 µs read and uncompressed), so
	// 4,096 rows of a phrase of common words took 20–40 ms on their own.
	var found int
	cands, _, cov, err := searchCandidateIDs(top, searchWindow/4, func(lo, hi int64) ([]int64, error) {
		// Newest first and no more than the walk still wants: a common
		// word then reads a few hundred rows of the window, not all of it
		// (the index scan stops at the limit; a rare word's GIN bitmap is
		// small either way).
		rows, err := tx.QueryContext(ctx, `SELECT id FROM items WHERE search_vector @@ ?::tsquery AND id BETWEEN ? AND ? ORDER BY id DESC LIMIT ?`,
			tsq, lo, hi, searchCandidates-found)
		if err != nil {
			return nil, err
		}
		ids, err := scanIDs(rows)
		found += len(ids)
		return ids, err
	})
	if err != nil || len(cands) == 0 {
		return nil, cov, wrapSearchErr(query, err)
	}
	ids, err := rankCandidates(ctx, tx, cands, phrases, limit)
	if err != nil {
		return nil, cov, wrapSearchErr(query, err)
	}
	var words [][]string
	for _, p := range phrases {
		words = append(words, ftsTokens(p))
	}
	hits, err := searchHits(ctx, tx, ids, func(h *model.SearchHit, _ int64) { h.Snippet = itemSnippet(h.Item, words) })
	return hits, cov, wrapSearchErr(query, err)
}

func wrapSearchErr(query string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("search %q: %w", query, err)
}

// pgSearchSetup turns each phrase of a search into the text of a
// phraseto_tsquery of its folded words (leaving out a phrase of no words
// the index would hold) and reads the newest item's id, in one round trip.
// It also has Postgres plan the search's statements for their values, not
// generically: the same window statement is a GIN lookup for a rare word
// and a backward walk of the newest rows for a common one, and the
// generic plan Postgres switches to after five runs of a prepared
// statement read the whole posting list of "the" for every window.
func pgSearchSetup(ctx context.Context, tx *sql.Tx, phrases []string) ([]string, sql.NullInt64, error) {
	var top sql.NullInt64
	if len(phrases) == 0 {
		return nil, top, nil
	}
	cols := make([]string, len(phrases))
	args := make([]any, len(phrases))
	for i, p := range phrases {
		cols[i] = `phraseto_tsquery('simple'::regconfig, search_fold(?))::text`
		args[i] = p
	}
	dest := make([]string, len(phrases))
	ptrs := []any{new(string), &top}
	for i := range dest {
		ptrs = append(ptrs, &dest[i])
	}
	if err := tx.QueryRowContext(ctx, `SELECT set_config('plan_cache_mode', 'force_custom_plan', true), (SELECT max(id) FROM items), `+
		strings.Join(cols, ", "), args...).Scan(ptrs...); err != nil {
		return nil, top, fmt.Errorf("build the text query: %w", err)
	}
	var out []string
	for _, q := range dest {
		if q != "" {
			out = append(out, q)
		}
	}
	return out, top, nil
}

// pgAll ANDs the phrase queries, each shaped by f.
func pgAll(pq []string, f func(string) string) string {
	parts := make([]string, len(pq))
	for i, q := range pq {
		parts[i] = "(" + f(q) + ")"
	}
	return strings.Join(parts, " & ")
}

// tsLexeme is a quoted lexeme in a tsquery's text; search_fold leaves no
// quote or backslash in one, but a doubled quote is what Postgres writes.
var tsLexeme = regexp.MustCompile(`'(?:[^']|'')*'`)

// pgAnyField asks a phrase (the text of a phraseto_tsquery) of the title,
// the summary and the content each on its own, so that it never runs from
// the end of one field into the next. A single word is asked without a
// weight, so that the GIN index answers it alone (the index keeps no
// weights: a weighted word is checked row by row).
func pgAnyField(q string) string {
	if !strings.Contains(q, "<") {
		return q
	}
	var fields []string
	for _, w := range []string{"A", "B", "C"} {
		fields = append(fields, "("+tsLexeme.ReplaceAllString(q, "$0:"+w)+")")
	}
	return strings.Join(fields, " | ")
}
