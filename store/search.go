package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/ituwatch/ituwatch/model"
)

// The private-use characters snippet() wraps hits in. Stored text never
// holds them (upsertItem strips them), so every one in a snippet is a
// marker.
const (
	hitOpen  = "\uE000"
	hitClose = "\uE001"
)

// searchWindow is the rowid range of the first window of the candidate
// walk (see searchCandidateIDs); a variable so tests can walk a small
// store in many windows.
var searchWindow int64 = 4_096

var hitMarkers = strings.NewReplacer(hitOpen, "", hitClose, "")

// withoutHitMarkers removes the snippet markers from stored text.
func withoutHitMarkers(s string) string {
	if !strings.Contains(s, hitOpen) && !strings.Contains(s, hitClose) {
		return s
	}
	return hitMarkers.Replace(s)
}

const (
	// searchCandidates bounds the work of one search: the newest this many
	// matching items are ranked. A word that occurs in half of a million
	// items would otherwise make every search rank half a million rows.
	searchCandidates = 500
	// maxSearchWords bounds the query a user can type.
	maxSearchWords  = 16
	searchWindowMax = 1 << 20
	// searchWindowTime is what one window of the walk should take.
	searchWindowTime = 5 * time.Millisecond
	// searchBudget bounds the candidate walk (see searchCandidateIDs).
	searchBudget  = 30 * time.Millisecond
	snippetTokens = 16
	// searchIndexWait bounds how long a search waits for the items
	// stored just before it to be indexed.
	searchIndexWait = time.Second
)

// ftsQuery turns what a user typed into an FTS5 query that cannot fail or
// inject syntax: every whitespace-separated word, or every "quoted phrase",
// becomes a quoted FTS5 phrase (so C20/51-E still matches as one document
// number) and the phrases are ANDed.
// An unbalanced quote is ignored. Words without a letter or digit are
// dropped, as the tokenizer would drop them.
func ftsQuery(input string) string {
	input = withoutHitMarkers(input)
	if strings.Count(input, `"`)%2 == 1 {
		i := strings.LastIndex(input, `"`)
		input = input[:i] + " " + input[i+1:]
	}
	var chunks []string
	for i, part := range strings.Split(input, `"`) {
		if i%2 == 1 { // inside quotes
			chunks = append(chunks, part)
			continue
		}
		chunks = append(chunks, strings.Fields(part)...)
	}
	var phrases []string
	for _, chunk := range chunks {
		// No prefix search: FTS5 merges the whole doclist of every term a
		// prefix expands to, which took over 100 ms at 100,000 items.
		chunk = strings.Trim(chunk, "*")
		if !strings.ContainsFunc(chunk, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) {
			continue
		}
		// chunk holds no double quote by construction, so quoting is enough.
		phrases = append(phrases, `"`+chunk+`"`)
		if len(phrases) == maxSearchWords {
			break
		}
	}
	return strings.Join(phrases, " ")
}

// Search finds items whose title, summary or content contain all the words
// of query: items with the words in the title first, then in the title or
// summary, then anywhere; newer first among equals (see search).
// User words are quoted, so FTS syntax in input cannot error or inject. limit
// is capped at 50.
func (s *Store) Search(ctx context.Context, query string, limit int) ([]model.SearchHit, error) {
	limit = boundLimit(limit, 10, maxList)
	match := ftsQuery(query)
	if match == "" {
		return nil, nil
	}
	// Items are indexed for search just after they are stored (see
	// indexStep); wait for those already stored, unless a burst of new
	// items makes that longer than a chat answer should take.
	if s.group != nil {
		s.group.awaitCaughtUp(ctx, searchIndexWait)
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	defer tx.Rollback()
	hits, err := search(ctx, tx, match, limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	return hits, nil
}

// AwaitSearchIndex waits until every item stored so far can be found by
// Search, or ctx ends.
func (s *Store) AwaitSearchIndex(ctx context.Context) {
	if s.group != nil {
		s.group.awaitCaughtUp(ctx, 0)
	}
}

// search ranks by where the words are, then by date: items with every word
// in the title first, then those with every word in the title or summary,
// then the rest; newer first within each. (FTS5's bm25 was measured too
// slow: it counts every item holding each query word on every search, which
// for "ITU" in a million-item store takes well over the 50 ms a chat answer
// may take.) Only the newest searchCandidates matching items are ranked,
// and the column checks are confined to their rowid range, so the cost of a
// search does not grow with the store.
func search(ctx context.Context, tx *sql.Tx, match string, limit int) ([]model.SearchHit, error) {
	cands, spans, err := searchCandidateIDs(ctx, tx, match)
	if err != nil || len(cands) == 0 {
		return nil, err
	}
	tier := make(map[int64]int, len(cands))
	for _, id := range cands {
		tier[id] = 3
	}
	for _, t := range []struct {
		level   int
		columns string
	}{{2, "{title summary}"}, {1, "title"}} {
		for _, sp := range spans {
			rows, err := tx.QueryContext(ctx, `SELECT rowid FROM items_fts WHERE items_fts MATCH ? AND rowid BETWEEN ? AND ?`,
				t.columns+" : ("+match+")", sp.lo, sp.hi)
			if err != nil {
				return nil, err
			}
			ids, err := scanIDs(rows)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				if _, ok := tier[id]; ok {
					tier[id] = t.level
				}
			}
		}
	}
	in, args := inList(cands)
	rows, err := tx.QueryContext(ctx, `SELECT id, coalesce(published, updated, first_seen) FROM items WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	when := make(map[int64]int64, len(cands))
	for rows.Next() {
		var id, w int64
		if err := rows.Scan(&id, &w); err != nil {
			rows.Close()
			return nil, err
		}
		when[id] = w
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := slices.Clone(cands)
	slices.SortFunc(ids, func(a, b int64) int {
		if c := cmp.Compare(tier[a], tier[b]); c != 0 {
			return c
		}
		if c := cmp.Compare(when[b], when[a]); c != 0 {
			return c
		}
		return cmp.Compare(b, a)
	})
	ids = ids[:min(limit, len(ids))]

	snippets := make(map[int64]model.Snippet, len(ids))
	for _, sp := range spans {
		var in []int64
		for _, id := range ids {
			if id >= sp.lo && id <= sp.hi {
				in = append(in, id)
			}
		}
		if len(in) == 0 {
			continue
		}
		if err := searchSnippets(ctx, tx, match, slices.Min(in), slices.Max(in), in, snippets); err != nil {
			return nil, fmt.Errorf("snippets: %w", err)
		}
	}

	itemStmt, err := tx.PrepareContext(ctx, `SELECT `+itemColumns+`, coalesce(last_alert_id, 0) FROM items WHERE id = ?`)
	if err != nil {
		return nil, err
	}
	defer itemStmt.Close()
	topicStmt, err := tx.PrepareContext(ctx, `SELECT topic FROM alert_matches WHERE alert_id = ? ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer topicStmt.Close()

	out := make([]model.SearchHit, 0, len(ids))
	for _, id := range ids {
		var h model.SearchHit
		h.Item, err = scanItem(itemStmt.QueryRowContext(ctx, id), &h.AlertID)
		if err != nil {
			return nil, fmt.Errorf("read item %d: %w", id, err)
		}
		h.Snippet = snippets[id]
		if h.AlertID != 0 {
			rows, err := topicStmt.QueryContext(ctx, h.AlertID)
			if err != nil {
				return nil, fmt.Errorf("topics of alert %d: %w", h.AlertID, err)
			}
			for rows.Next() {
				var t string
				if err := rows.Scan(&t); err != nil {
					rows.Close()
					return nil, fmt.Errorf("topics of alert %d: %w", h.AlertID, err)
				}
				h.Topics = append(h.Topics, t)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("topics of alert %d: %w", h.AlertID, err)
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// span is a rowid range of the index that holds candidates.
type span struct{ lo, hi int64 }

// searchCandidateIDs returns the newest searchCandidates items matching
// match, newest first, and the rowid ranges they lie in.
//
// It walks the index from the newest item back in rowid windows. Each
// window is read in ascending rowid order: FTS5 walks a phrase's doclists
// backwards from their start, so ORDER BY rowid DESC cost a walk over the
// whole index for every phrase query (1.6 s for "the the" at a million
// items even when bounded to the newest 17,000). A window that answered
// quickly is followed by a larger one, a slow one by a smaller one, so a
// rare word crosses the store in a few windows and a phrase of common
// words reads its positions a few thousand items at a time. The walk
// stops once it has spent searchBudget: a phrase of common words that
// never stand side by side must read the positions of every item holding
// them, which no index FTS5 keeps can avoid, so such a search answers for
// the newest items it could read in time.
//
// The checks that follow (tiers, snippets) look only at the ranges that
// held candidates, instead of everything from the oldest candidate on: a
// query with a few matches spread over the years would otherwise walk the
// doclists of its common words three more times.
func searchCandidateIDs(ctx context.Context, tx *sql.Tx, match string) ([]int64, []span, error) {
	var top sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM items`).Scan(&top); err != nil || !top.Valid {
		return nil, nil, err
	}
	var (
		cands []int64
		spans []span
		start = time.Now()
	)
	for hi, w := top.Int64, searchWindow; hi > 0 && len(cands) < searchCandidates; {
		if hi < top.Int64 && time.Since(start) > searchBudget {
			break // the first window is always read
		}
		lo := max(1, hi-w+1)
		t := time.Now()
		rows, err := tx.QueryContext(ctx, `SELECT rowid FROM items_fts WHERE items_fts MATCH ? AND rowid BETWEEN ? AND ?`, match, lo, hi)
		if err != nil {
			return nil, nil, err
		}
		ids, err := scanIDs(rows)
		if err != nil {
			return nil, nil, err
		}
		slices.Sort(ids)
		slices.Reverse(ids)
		if len(ids) > 0 {
			ids = ids[:min(len(ids), searchCandidates-len(cands))]
			sp := span{lo: ids[len(ids)-1], hi: ids[0]}
			// Ranges close together are read in one query: each query
			// pays to find every word's doclist in every index segment.
			if n := len(spans); n > 0 && spans[n-1].lo-sp.hi <= (spans[n-1].hi-spans[n-1].lo)+(sp.hi-sp.lo) {
				spans[n-1].lo = sp.lo
			} else {
				spans = append(spans, sp)
			}
			cands = append(cands, ids...)
		}
		switch el := time.Since(t); {
		case el < searchWindowTime/4:
			w = min(w*4, searchWindowMax)
		case el > searchWindowTime:
			w = max(w/2, searchWindow/4)
		}
		hi = lo - 1
	}
	return cands, spans, nil
}

// searchSnippets computes the snippets of the items in ids, which lie
// between lo and hi, in one walk over that range: looking each up by rowid
// makes FTS5 seek from the start of the word's doclist every time. The
// unary + keeps the IN list from being handed to FTS5 as rowid lookups.
func searchSnippets(ctx context.Context, tx *sql.Tx, match string, lo, hi int64, ids []int64, into map[int64]model.Snippet) error {
	in, args := inList(ids)
	rows, err := tx.QueryContext(ctx, `SELECT rowid,
			snippet(items_fts, 0, ?2, ?3, '…', ?4),
			snippet(items_fts, 1, ?2, ?3, '…', ?4),
			snippet(items_fts, 2, ?2, ?3, '…', ?4)
		FROM items_fts WHERE items_fts MATCH ?1 AND rowid BETWEEN ?5 AND ?6 AND +rowid IN (`+in+`)`,
		append([]any{match, hitOpen, hitClose, snippetTokens, lo, hi}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id   int64
			cols [3]string
		)
		if err := rows.Scan(&id, &cols[0], &cols[1], &cols[2]); err != nil {
			return err
		}
		into[id] = bestSnippet(cols)
	}
	return rows.Err()
}

var snippetFields = [3]string{"title", "summary", "content"}

// bestSnippet picks the field snippet with the most hits. Among equals the
// summary wins, then the content: the reader sees the title anyway.
func bestSnippet(cols [3]string) model.Snippet {
	best, bestHits := 0, -1
	for _, i := range []int{1, 2, 0} {
		if cols[i] == "" {
			continue
		}
		if n := strings.Count(cols[i], hitOpen); n > bestHits {
			best, bestHits = i, n
		}
	}
	return model.Snippet{Field: snippetFields[best], Parts: snippetParts(cols[best])}
}

// snippetParts splits snippet() output at the markers into plain and Hit
// parts. An unbalanced marker (impossible unless the index is corrupt) is
// dropped rather than trusted.
func snippetParts(s string) []model.SnippetPart {
	var parts []model.SnippetPart
	add := func(text string, hit bool) {
		if text == "" {
			return
		}
		if n := len(parts); n > 0 && parts[n-1].Hit == hit {
			parts[n-1].Text += text
			return
		}
		parts = append(parts, model.SnippetPart{Text: text, Hit: hit})
	}
	for s != "" {
		open := strings.Index(s, hitOpen)
		if open < 0 {
			add(strings.ReplaceAll(s, hitClose, ""), false)
			break
		}
		add(strings.ReplaceAll(s[:open], hitClose, ""), false)
		s = s[open+len(hitOpen):]
		end := strings.Index(s, hitClose)
		if end < 0 {
			add(strings.ReplaceAll(s, hitOpen, ""), true)
			break
		}
		add(strings.ReplaceAll(s[:end], hitOpen, ""), true)
		s = s[end+len(hitClose):]
	}
	return parts
}
