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
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

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
	phrases := searchPhrases(input)
	for i, p := range phrases {
		// p holds no double quote by construction, so quoting is enough.
		phrases[i] = `"` + p + `"`
	}
	return strings.Join(phrases, " ")
}

// searchPhrases returns the words and "quoted phrases" of what a user
// typed, as ftsQuery quotes them.
func searchPhrases(input string) []string {
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
		phrases = append(phrases, chunk)
		if len(phrases) == maxSearchWords {
			break
		}
	}
	return phrases
}

// Search finds items whose title, summary or content contain all the words
// of query: items with the words in the title first, then in the title or
// summary, then anywhere; newer first among equals (see search).
// User words are quoted, so FTS syntax in input cannot error or inject. limit
// is capped at 50.
func (s *Store) Search(ctx context.Context, query string, limit int) ([]model.SearchHit, error) {
	hits, _, err := s.SearchCovered(ctx, query, limit)
	return hits, err
}

// SearchCovered is Search that also says how much of the store it read.
func (s *Store) SearchCovered(ctx context.Context, query string, limit int) ([]model.SearchHit, model.SearchCoverage, error) {
	var cov model.SearchCoverage
	// Up to every ranked candidate: a caller that filters the hits (the
	// web view's search form) asks for them all, chat for a screenful.
	limit = boundLimit(limit, 10, searchCandidates)
	phrases := searchPhrases(query)
	if s.pg {
		if len(phrases) == 0 {
			return nil, cov, nil
		}
		return s.searchPostgres(ctx, query, phrases, limit)
	}
	match := ftsQuery(query)
	if match == "" {
		return nil, cov, nil
	}
	// Items are indexed for search just after they are stored (see
	// indexStep); wait for those already stored, unless a burst of new
	// items makes that longer than a chat answer should take.
	if s.group != nil {
		s.group.awaitCaughtUp(ctx, searchIndexWait)
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, cov, fmt.Errorf("search %q: %w", query, err)
	}
	defer tx.Rollback()
	hits, cov, err := search(ctx, tx, match, phrases, limit)
	if err != nil {
		return nil, cov, fmt.Errorf("search %q: %w", query, err)
	}
	return hits, cov, nil
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
// may take.) Only the newest searchCandidates matching items the walk of
// searchCandidateIDs reaches are ranked, their tiers are read from their
// own titles and summaries, and snippets only from the ranges holding the
// chosen few, so the cost of a search does not grow with the store.
func search(ctx context.Context, tx *sql.Tx, match string, phrases []string, limit int) ([]model.SearchHit, model.SearchCoverage, error) {
	var top sql.NullInt64 // the newest item, where the walk starts
	if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM items`).Scan(&top); err != nil {
		return nil, model.SearchCoverage{}, err
	}
	cands, spans, cov, err := searchCandidateIDs(top, searchWindow, func(lo, hi int64) ([]int64, error) {
		rows, err := tx.QueryContext(ctx, `SELECT rowid FROM items_fts WHERE items_fts MATCH ? AND rowid BETWEEN ? AND ?`, match, lo, hi)
		if err != nil {
			return nil, err
		}
		return scanIDs(rows)
	})
	if err != nil || len(cands) == 0 {
		return nil, cov, err
	}
	ids, err := rankCandidates(ctx, tx, cands, phrases, limit)
	if err != nil {
		return nil, cov, err
	}

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
			return nil, cov, fmt.Errorf("snippets: %w", err)
		}
	}
	out, err := searchHits(ctx, tx, ids, func(h *model.SearchHit, id int64) { h.Snippet = snippets[id] })
	return out, cov, err
}

// rankCandidates orders the candidates as search ranks them (see search)
// and keeps the first limit.
func rankCandidates(ctx context.Context, tx *sql.Tx, cands []int64, phrases []string, limit int) ([]int64, error) {
	// The tiers are computed here from the candidates' titles and
	// summaries rather than by asking FTS5 for column matches: that walked
	// the candidates' rowid ranges twice more, reading positions, and took
	// 40–85 ms of a search whose candidates were spread over the store.
	var want [][]string
	for _, p := range phrases {
		want = append(want, ftsTokens(p))
	}
	in, args := inList(cands)
	rows, err := tx.QueryContext(ctx, `SELECT id, coalesce(published, updated, first_seen), title, summary FROM items WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	tier := make(map[int64]int, len(cands))
	when := make(map[int64]int64, len(cands))
	for rows.Next() {
		var (
			id, w          int64
			title, summary string
		)
		if err := rows.Scan(&id, &w, &title, &summary); err != nil {
			rows.Close()
			return nil, err
		}
		when[id] = w
		tier[id] = columnTier(want, ftsTokens(title), ftsTokens(summary))
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
	return ids[:min(limit, len(ids))], nil
}

// searchHits reads the items of ids, in that order, with the alert id and
// topics of each one's latest alert; snippet fills in a hit's snippet. Two
// statements in all, whatever the number of hits: on Postgres each
// statement is a round trip to the server.
func searchHits(ctx context.Context, tx *sql.Tx, ids []int64, snippet func(h *model.SearchHit, id int64)) ([]model.SearchHit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in, args := inList(ids)
	rows, err := tx.QueryContext(ctx, `SELECT `+itemColumns+`, coalesce(last_alert_id, 0), id FROM items WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*model.SearchHit, len(ids))
	var alertIDs []int64
	for rows.Next() {
		var (
			h  model.SearchHit
			id int64
		)
		if h.Item, err = scanItem(rows, &h.AlertID, &id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read item %d: %w", id, err)
		}
		byID[id] = &h
		if h.AlertID != 0 {
			alertIDs = append(alertIDs, h.AlertID)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	topics := map[int64][]string{}
	if len(alertIDs) > 0 {
		in, args := inList(alertIDs)
		rows, err := tx.QueryContext(ctx, `SELECT alert_id, topic FROM alert_matches WHERE alert_id IN (`+in+`) ORDER BY alert_id, seq`, args...)
		if err != nil {
			return nil, fmt.Errorf("topics of the hits' alerts: %w", err)
		}
		for rows.Next() {
			var (
				a int64
				t string
			)
			if err := rows.Scan(&a, &t); err != nil {
				rows.Close()
				return nil, fmt.Errorf("topics of the hits' alerts: %w", err)
			}
			topics[a] = append(topics[a], t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("topics of the hits' alerts: %w", err)
		}
	}
	out := make([]model.SearchHit, 0, len(ids))
	for _, id := range ids {
		h, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("read item %d: %w", id, sql.ErrNoRows)
		}
		if h.AlertID != 0 {
			h.Topics = topics[h.AlertID]
		}
		snippet(h, id)
		out = append(out, *h)
	}
	return out, nil
}

// columnTier is 1 when every phrase is in the title, 2 when each is in
// the title or the summary, 3 otherwise: what FTS5's column filters
// "title : (…)" and "{title summary} : (…)" answer, without a walk.
func columnTier(phrases [][]string, title, summary []string) int {
	inTitle, inEither := true, true
	for _, p := range phrases {
		t := hasPhrase(title, p)
		inTitle = inTitle && t
		inEither = inEither && (t || hasPhrase(summary, p))
	}
	switch {
	case inTitle:
		return 1
	case inEither:
		return 2
	}
	return 3
}

func hasPhrase(tokens, phrase []string) bool {
	if len(phrase) == 0 {
		return true
	}
	for i := 0; i+len(phrase) <= len(tokens); i++ {
		if slices.Equal(tokens[i:i+len(phrase)], phrase) {
			return true
		}
	}
	return false
}

// ftsTokens splits s as the index's tokenizer (unicode61 remove_diacritics
// 2) does: runs of letters, numbers and private-use characters, folded to
// lower case without diacritics.
func ftsTokens(s string) []string {
	var (
		out []string
		b   strings.Builder
	)
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	if isASCII(s) {
		// Most text: one lower-cased copy and substrings of it, as this
		// runs over the title and summary of 500 candidates per search.
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
		})
	}
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// a diacritic: dropped, and it does not split the word
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r):
			b.WriteRune(unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// span is a rowid range of the index that holds candidates.
type span struct{ lo, hi int64 }

// searchCandidateIDs returns the newest searchCandidates items the search
// matches, newest first, and the rowid ranges they lie in.
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
// The snippets that follow are computed over the ranges that held the
// chosen items only, instead of everything from the oldest candidate on: a
// query with a few matches spread over the years would otherwise walk the
// doclists of its common words again.
//
// window returns the ids of the matching items between lo and hi, in any
// order; top is the newest item's id, first the width of the first window. The walk is the same on
// both drivers.
func searchCandidateIDs(top sql.NullInt64, first int64, window func(lo, hi int64) ([]int64, error)) ([]int64, []span, model.SearchCoverage, error) {
	var cov model.SearchCoverage
	if !top.Valid {
		return nil, nil, cov, nil
	}
	var (
		cands []int64
		spans []span
		start = time.Now()
	)
	for hi, w := top.Int64, first; hi > 0 && len(cands) < searchCandidates; {
		if hi < top.Int64 && time.Since(start) > searchBudget {
			// The first window is always read; what is older is not, and
			// the answer says so.
			cov = model.SearchCoverage{Partial: true, Searched: top.Int64 - hi}
			break
		}
		lo := max(1, hi-w+1)
		t := time.Now()
		ids, err := window(lo, hi)
		if err != nil {
			return nil, nil, cov, err
		}
		slices.Sort(ids)
		slices.Reverse(ids)
		if len(ids) > 0 {
			ids = ids[:min(len(ids), searchCandidates-len(cands))]
			spans = append(spans, span{lo: ids[len(ids)-1], hi: ids[0]})
			cands = append(cands, ids...)
		}
		el := time.Since(t)
		switch {
		case el < searchWindowTime/4:
			w = min(w*4, searchWindowMax)
		case el < searchWindowTime/2:
			w = min(w*2, searchWindowMax)
		case el > searchWindowTime:
			w = max(w/2, first/4)
		}
		// Nor should the next window overrun the budget by much, at the
		// rate this one was read.
		if left := searchBudget - time.Since(start); left > 0 {
			w = max(1, min(w, int64(float64(left)/float64(el+1)*float64(hi-lo+1))))
		}
		hi = lo - 1
	}
	return cands, spans, cov, nil
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
