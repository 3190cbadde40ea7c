// Package config reads the ituwatch YAML file once into typed structs. It
// expands ${ENV} references (secrets live in the environment, not the file),
// applies defaults in one place, and validates everything, reporting every
// problem at once with its file, line and field so a policy person can fix
// the file without reading Go.
//
// Where things are:
//
//   - config.go: the typed Config, every default (Default*, applyDefaults).
//   - parse.go: Parse, and the file's sections key by key (store, http,
//     sources, routes, slack, matrix ...; delivery in delivery.go).
//   - walk.go: walking a YAML mapping: merge keys, unknown and repeated
//     keys, with a did-you-mean.
//   - values.go: reading one value: ${ENV} (expanded by env.go), secrets,
//     true/false, numbers, sizes, durations, lists.
//   - validate.go: the checks once defaults are applied; check.go: Check,
//     what Parse cannot know (the compiled topics, the build), and Line.
//   - secret.go, redact.go: Secret, which never prints itself, and the
//     redacted config of `check-config --print`; problem.go: Problems.
package config
