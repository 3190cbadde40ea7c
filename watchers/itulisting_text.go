package watchers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/PuerkitoBio/goquery"

	"github.com/ituwatch/ituwatch/internal/cpuslots"
	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/itudoc/doctext"
	"github.com/ituwatch/ituwatch/model"
)

// The text of a listing's documents: from a row, the document's own page,
// its files, and the text of the one in the wanted language.

// KnownItems is what a listing asks the store: the stored version of its
// documents, so that a document's text is read once per revision and
// language set, not on every poll.
type KnownItems interface {
	PriorItems(ctx context.Context, sourceID string, itemIDs []string) (map[string]*model.PriorItem, error)
}

// DocumentText says how a listing reads its documents' text.
type DocumentText struct {
	Known    KnownItems
	Language string // the version read, "en" unless set; English, then any other, when it is missing
	// MaxPerPoll bounds the documents whose files one poll reads: ITU's
	// server is slow, and a listing that gains fifty documents at once is
	// read over several polls. The documents not yet read wait, unsent,
	// for a later poll, so that each alerts once, with its text.
	MaxPerPoll int
	MaxBytes   int // of text kept in Item.Content
	Logger     *slog.Logger
}

// Defaults of DocumentText (config owns the keys; these fill zero values).
const (
	DefaultDocumentsPerPoll = 10
	DefaultDocumentTextMax  = 200 << 10
	// maxTextAttempts is how many polls a document waits for its files to
	// answer before it is alerted on its listing row alone.
	maxTextAttempts = 3
)

// NewITUListingSourceWithText is NewITUListingSource that also reads each
// new document's text into Item.Content.
func NewITUListingSourceWithText(id, url string, f *Fetcher, maxPages int, text DocumentText) Source {
	if text.Language == "" {
		text.Language = "en"
	}
	if text.MaxPerPoll <= 0 {
		text.MaxPerPoll = DefaultDocumentsPerPoll
	}
	if text.MaxBytes <= 0 {
		text.MaxBytes = DefaultDocumentTextMax
	}
	if text.Logger == nil {
		text.Logger = slog.New(slog.DiscardHandler)
	}
	return &ituListingSource{id: id, url: url, fetcher: f, maxPages: maxPages, text: &text, attempts: map[string]int{}}
}

// textOutcome is how reading one document's text ended.
type textOutcome int

const (
	textRead  textOutcome = iota // Content holds the text
	textNone                     // alert on the row: restricted, too big, no file, unreadable
	textRetry                    // the server failed; try again next poll
)

// readTexts fills the text of items: carried over from the stored version
// when the document's revision and languages are unchanged, read from its
// files when it is new or changed, within the poll's budget. held is true
// when documents were kept back for a later poll; notes are the problems
// the source's warning reports.
func (s *ituListingSource) readTexts(ctx context.Context, items []model.Item, firstPoll bool) (_ []model.Item, held bool, notes []string, _ error) {
	ids := make([]string, len(items))
	for i := range items {
		ids[i] = items[i].ID
	}
	var priors map[string]*model.PriorItem
	if s.text.Known != nil {
		var err error
		if priors, err = s.text.Known.PriorItems(ctx, s.id, ids); err != nil {
			return nil, false, nil, fmt.Errorf("look up the stored documents: %w", err)
		}
	}
	out := items[:0]
	read := 0
	for _, it := range items {
		prior := priors[it.ID]
		if prior != nil && sameVersion(prior.Item.Document, it.Document) {
			carryText(&it, &prior.Item)
			out = append(out, it)
			continue
		}
		if it.Document.Restricted != "" {
			out = append(out, it) // the listing says so: no request
			continue
		}
		if read >= s.text.MaxPerPoll {
			if firstPoll && prior == nil {
				// A new source's back catalogue: alerted on its rows (if
				// recent enough), never read, rather than trickled out
				// over weeks.
				out = append(out, it)
			} else {
				held = true
			}
			continue
		}
		read++
		key := it.ID + "\x00" + it.Document.Revision
		outcome, note := s.readText(ctx, &it)
		if err := ctx.Err(); err != nil {
			return nil, false, nil, err
		}
		switch outcome {
		case textRetry:
			s.mu.Lock()
			s.attempts[key]++
			n := s.attempts[key]
			s.mu.Unlock()
			if n < maxTextAttempts {
				held = true
				continue
			}
			notes = append(notes, note+fmt.Sprintf(" (tried on %d polls; alerted on its listing row)", n))
		case textNone:
			if note != "" {
				notes = append(notes, note)
			}
		}
		s.mu.Lock()
		delete(s.attempts, key)
		s.mu.Unlock()
		out = append(out, it)
	}
	return out, held, notes, nil
}

// sameVersion: the text read for prior stands for doc.
func sameVersion(prior, doc *model.DocumentRef) bool {
	return prior != nil && doc != nil && prior.Revision == doc.Revision && slices.Equal(prior.Languages, doc.Languages)
}

func carryText(it, prior *model.Item) {
	it.Content = prior.Content
	p, d := prior.Document, it.Document
	d.Files, d.TextFrom, d.Tracked = p.Files, p.TextFrom, p.Tracked
	if d.Restricted == "" {
		d.Restricted = p.Restricted
	}
}

// restrictedTIES is the reason shown for a file behind ITU's member login.
const restrictedTIES = "TIES login"

// readText reads one document's page and then its files in the wanted
// language, best format first, until one gives text.
func (s *ituListingSource) readText(ctx context.Context, it *model.Item) (textOutcome, string) {
	doc := it.Document
	files := []model.DocumentFile{}
	if itudoc.IsDocumentFile(it.Link) || doctext.FormatOf(linkPath(it.Link)) == doctext.FormatHTM && strings.Contains(linkPath(it.Link), "!!") {
		files = append(files, fileOf(it.Link, ""))
	} else {
		res, release, err := s.fetcher.fetchHeld(ctx, it.Link, Validators{})
		if err != nil {
			release()
			return s.failed(it, "its page", err)
		}
		if isLoginPage(res) {
			release()
			doc.Restricted = restrictedTIES
			return textNone, ""
		}
		files = documentFiles(res.Body, res.FinalURL, it.Link)
		release()
	}
	doc.Files = files
	if len(files) == 0 {
		return textNone, fmt.Sprintf("%s: its page lists no Word, PDF or HTML file", doc.Number)
	}
	var lastNote string
	for _, f := range pickFiles(files, s.text.Language) {
		outcome, note := s.readFile(ctx, it, f)
		if outcome != textNone || doc.Restricted != "" {
			return outcome, note
		}
		lastNote = note
	}
	return textNone, lastNote
}

// failed turns a fetch error into an outcome: a login wall is a
// restriction, a too-large file is alerted without its text, anything
// else is tried again.
func (s *ituListingSource) failed(it *model.Item, what string, err error) (textOutcome, string) {
	var se *StatusError
	switch {
	case errors.As(err, &se) && (se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden):
		it.Document.Restricted = restrictedTIES
		return textNone, ""
	case errors.Is(err, ErrBodyTooLarge):
		s.text.Logger.Warn("document file too large", "source", s.id, "document", it.Document.Number, "err", err)
		return textNone, fmt.Sprintf("%s: %s is larger than http.max_body_bytes; its text was not read", it.Document.Number, what)
	case errors.As(err, &se) && se.Code == http.StatusNotFound:
		return textNone, fmt.Sprintf("%s: %s is not found (404)", it.Document.Number, what)
	}
	s.text.Logger.Warn("document text not read", "source", s.id, "document", it.Document.Number, "err", err)
	return textRetry, fmt.Sprintf("%s: %s could not be read: %v", it.Document.Number, what, err)
}

// readFile reads one file into the item.
func (s *ituListingSource) readFile(ctx context.Context, it *model.Item, f model.DocumentFile) (textOutcome, string) {
	res, release, err := s.fetcher.fetchHeld(ctx, f.URL, Validators{})
	defer release()
	if err != nil {
		return s.failed(it, "its "+f.Format+" file", err)
	}
	if isLoginPage(res) || (f.Format != doctext.FormatHTM && isHTML(res)) {
		// A file that answers with a web page is the login wall.
		it.Document.Restricted = restrictedTIES
		return textNone, ""
	}
	releaseSlot, err := cpuslots.Acquire(ctx)
	if err != nil {
		return textRetry, err.Error()
	}
	defer releaseSlot()
	var text doctext.Text
	if f.Format == doctext.FormatHTM {
		text.Body = htmlToText(string(res.Body))
		if len(text.Body) > s.text.MaxBytes {
			text.Body, text.Truncated = truncateText(text.Body, s.text.MaxBytes), true
		}
	} else if text, err = doctext.Extract(f.Format, res.Body, s.text.MaxBytes); err != nil {
		return textNone, fmt.Sprintf("%s: %s: %v", it.Document.Number, path.Base(linkPath(f.URL)), err)
	}
	if strings.TrimSpace(text.Body) == "" {
		return textNone, fmt.Sprintf("%s: %s has no text", it.Document.Number, path.Base(linkPath(f.URL)))
	}
	it.Content = text.Body
	it.Document.TextFrom = f.URL
	if len(text.Inserted)+len(text.Deleted) > 0 {
		it.Document.Tracked = &model.TrackedChanges{Inserted: text.Inserted, Deleted: text.Deleted}
	}
	return textRead, ""
}

// loginWords in a final URL mean the server sent the reader to sign in.
var loginWords = regexp.MustCompile(`(?i)login|logon|signin|sign-in|/ties/|ties\.itu\.int|/iwm/|authenticate`)

func isLoginPage(res *FetchResult) bool {
	if u, err := url.Parse(res.FinalURL); err == nil && loginWords.MatchString(u.Host+u.Path) {
		return true
	}
	return isHTML(res) && bytes.Contains(bytes.ToLower(res.Body), []byte(`type="password"`))
}

func isHTML(res *FetchResult) bool {
	ct := strings.ToLower(res.ContentType)
	if strings.Contains(ct, "html") {
		return true
	}
	head := bytes.ToLower(bytes.TrimSpace(res.Body[:min(len(res.Body), 512)]))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html"))
}

func linkPath(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if p, err := url.PathUnescape(u.Path); err == nil {
			return p
		}
		return u.Path
	}
	return raw
}

// fileLanguage reads ITU's language letter at the end of a file name:
// "…!!MSW-E.docx", "…!!PDF-F.pdf".
var fileLanguage = regexp.MustCompile(`(?i)-([EFSACR])\.[a-z]+$`)

func fileOf(link, label string) model.DocumentFile {
	p := linkPath(link)
	f := model.DocumentFile{URL: link, Format: doctext.FormatOf(p)}
	if m := fileLanguage.FindStringSubmatch(p); m != nil {
		f.Language, _ = itudoc.LanguageOfLabel(m[1])
	} else if l, ok := itudoc.LanguageOfLabel(label); ok {
		f.Language = l
	}
	return f
}

// documentFiles lists the files a document page links to, each once.
func documentFiles(body []byte, finalURL, fallback string) []model.DocumentFile {
	base, err := url.Parse(finalURL)
	if err != nil || finalURL == "" {
		if base, err = url.Parse(fallback); err != nil {
			return nil
		}
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	var files []model.DocumentFile
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		abs := resolveListingLink(a.AttrOr("href", ""), base)
		if abs == "" || doctext.FormatOf(linkPath(abs)) == "" {
			return
		}
		// A page's own .htm links (help, home) are not the document's
		// files; ITU's file names carry "!!".
		if doctext.FormatOf(linkPath(abs)) == doctext.FormatHTM && !strings.Contains(linkPath(abs), "!!") {
			return
		}
		if slices.ContainsFunc(files, func(f model.DocumentFile) bool { return f.URL == abs }) {
			return
		}
		files = append(files, fileOf(abs, strings.TrimSpace(a.Text()+" "+a.AttrOr("title", ""))))
	})
	return files
}

// formatRank: Word first (it carries the tracked changes), then PDF, HTML,
// and a zip last (it has to be unpacked).
var formatRank = map[string]int{doctext.FormatDOCX: 0, doctext.FormatPDF: 1, doctext.FormatHTM: 2, doctext.FormatZIP: 3}

// pickFiles orders the files to try: the wanted language, else English,
// else any; best format first.
func pickFiles(files []model.DocumentFile, lang string) []model.DocumentFile {
	for _, l := range []string{lang, "en", ""} {
		var out []model.DocumentFile
		for _, f := range files {
			if l == "" || f.Language == l {
				out = append(out, f)
			}
		}
		if len(out) > 0 {
			slices.SortStableFunc(out, func(a, b model.DocumentFile) int { return formatRank[a.Format] - formatRank[b.Format] })
			return out
		}
	}
	return nil
}
