// Package rules decides which topics an item is about. A rule pack (YAML)
// names topics, each a tree of terms; Compile turns all packs into one
// Engine whose Match reads an item's text once, whatever the number of
// phrases, and explains every match with the words that made it.
//
// Where things are (README.md describes the pack format for users):
//
//   - Packs: pack.go holds Pack, LoadPack (builtin:NAME or a file) and
//     ParsePack, which reports every mistake at once; packtopics.go reads
//     the sets and topics, packnodes.go a topic's match: tree and the checks
//     of its phrases and regexes. The built-in packs are packs/*.yaml.
//   - Compiling: compile.go turns packs into the Engine of engine.go (its
//     topics, nodes and leaves, and one trie of every phrase over one
//     vocabulary); table.go is the hash table words are looked up in.
//   - Matching: Match (match.go) is what the pipeline calls for each item.
//     scan.go finds every phrase occurrence in one pass over the words that
//     tokenize.go cuts the text into; score.go decides whether a topic's
//     tree holds and with what score; explain.go picks the hits and cuts
//     the snippets that say why.
//   - regex.go: regex leaves, kept cheap: the literals every match needs,
//     found when compiling, and tries only where those literals occur.
//   - eval.go: precision and recall of the rules on a labelled corpus, for
//     `ituwatch rules eval`; not on an item's path.
package rules
