package config

import "github.com/ituwatch/ituwatch/internal/problems"

// Problem is one thing wrong (or, in Config.Warnings, doubtful) in a config
// file, located so that a person can go straight to it; rule packs report
// theirs the same way.
type Problem = problems.Problem

// Problems is every problem found in one config file; Parse returns all of
// them at once so a user fixes the file in one go rather than one error per run.
type Problems = problems.List
