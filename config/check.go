package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ituwatch/ituwatch/internal/didyoumean"
)

// Capabilities is what the loaded rule packs define and what this binary
// can do: facts Parse cannot know, since the packs are compiled after the
// file is read and build tags live in other packages.
type Capabilities struct {
	Topics           []string // ids of the compiled topics
	MatrixEncryption bool     // built with end-to-end encryption (-tags goolm)
}

// Check reports what would make a parsed config fail or silently do nothing
// once it runs: route topics no pack defines, a store that cannot be
// written, encryption this binary lacks. Like Parse, it returns every
// problem at once as Problems, or nil.
func (c *Config) Check(caps Capabilities) error {
	var ps Problems
	add := func(field, format string, args ...any) {
		ps.Addf(c.File, c.Line(field), field, format, args...)
	}
	c.checkTopics(caps.Topics, add)
	c.checkStoreFolder(add)
	if c.Matrix != nil && c.Matrix.Encryption.Enabled && !caps.MatrixEncryption {
		add("matrix.encryption.enabled", "this ituwatch binary was built without end-to-end encryption; rebuild it with -tags goolm (go build -tags goolm ./cmd/ituwatch), or set matrix.encryption.enabled: false")
	}
	if len(ps) == 0 {
		return nil
	}
	ps.Sort()
	return ps
}

// Line is where the file writes field, or else its nearest written parent;
// 0 when neither is written (a default).
func (c *Config) Line(field string) int { return nearestLine(c.lines, field) }

// nearestLine finds where lines says field is written, or else its nearest
// written parent ("routes[1].topics[0]", then "routes[1]", then "routes").
func nearestLine(lines map[string]int, field string) int {
	for field != "" {
		if l, ok := lines[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0
}

// checkTopics finds route topics that no rule pack defines: such a route
// never fires, and nothing else would ever say so.
func (c *Config) checkTopics(known []string, add func(field, format string, args ...any)) {
	for i, r := range c.Routes {
		for j, t := range r.Topics {
			f := fmt.Sprintf("routes[%d].topics[%d]", i, j)
			if _, written := c.lines[f]; !written && len(r.Topics) == 1 {
				f = fmt.Sprintf("routes[%d].topics", i) // written as a single value
			}
			switch {
			case t == "*" || slices.Contains(known, t):
			case strings.ContainsAny(t, `*?[\`):
				if !slices.ContainsFunc(known, func(id string) bool { ok, _ := path.Match(t, id); return ok }) {
					add(f, "%q matches no topic; the topics are: %s", t, strings.Join(known, ", "))
				}
			default:
				if s := didyoumean.Closest(t, known); s != "" {
					add(f, "unknown topic %q; did you mean %q?", t, s)
				} else {
					add(f, "unknown topic %q; the topics are: %s", t, strings.Join(known, ", "))
				}
			}
		}
	}
}

// checkStoreFolder makes sure the SQLite file can be created and written,
// with its -wal and -shm files beside it, so that the first run does not
// stop on a bare driver error.
func (c *Config) checkStoreFolder(add func(field, format string, args ...any)) {
	p := c.Store.Path
	if p == "" || p == ":memory:" || c.Store.Driver == StorePostgres {
		return
	}
	const field = "store.path"
	dir := filepath.Dir(p)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		add(field, "the folder %s does not exist; create it (mkdir -p %s) or set store.path to a file in an existing folder", dir, dir)
		return
	case err != nil:
		add(field, "cannot use the folder %s (%v); set store.path to a file in a folder ituwatch may write to", dir, unwrapPath(err))
		return
	case !st.IsDir():
		add(field, "%s is not a folder; set store.path to a file in a folder", dir)
		return
	}
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		add(field, "%s is a folder; set store.path to a file name in it, e.g. %s", p, filepath.Join(p, DefaultStorePath))
		return
	} else if err == nil {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			add(field, "cannot write the database %s (%v); give the user running ituwatch write permission on it", p, unwrapPath(err))
			return
		}
		f.Close()
	}
	probe, err := os.CreateTemp(dir, ".ituwatch-check-*")
	if err != nil {
		add(field, "cannot create files in the folder %s (%v), which the database and its journal need; give the user running ituwatch write permission on the folder, or set store.path to a file in another one", dir, unwrapPath(err))
		return
	}
	probe.Close()
	os.Remove(probe.Name())
}

// unwrapPath drops the path from an *fs.PathError, which the message names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
