// Package itudoc is what ituwatch knows about ITU documents: the forms a
// document number is printed in (Parse, Find, FromURL), the six languages,
// the series and the bodies they belong to, how two versions of a document
// compare, and the words that say what changed between them.
//
// It depends on model and the standard library only, so that the watchers
// (which read numbers off listings), the pipeline (which words an update)
// and the bot (which prints a number) share one definition.
package itudoc
