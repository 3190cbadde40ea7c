package watchers_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/store/pgtest"
)

// benchDriver is the store the benchmarks run on: ITUWATCH_BENCH_DRIVER=
// postgres puts it in a fresh schema on the server of ITUWATCH_TEST_PG_DSN
// (BENCHMARKS.md §14); anything else, SQLite in a temporary file.
func benchDriver() string {
	if os.Getenv("ITUWATCH_BENCH_DRIVER") == store.DriverPostgres {
		return store.DriverPostgres
	}
	return store.DriverSQLite
}

func openBenchStore(b *testing.B) (*store.Store, error) {
	ctx := context.Background()
	if benchDriver() == store.DriverPostgres {
		return store.OpenDriver(ctx, store.DriverPostgres, pgtest.DSN(b))
	}
	return store.Open(ctx, filepath.Join(b.TempDir(), "perf.db"))
}

// serverCPU is the CPU time all of the machine's postgres processes have
// used: on Postgres much of a poll's work (parsing statements, building
// the search vectors, writing the WAL) is done there, not in our process.
// 0 on SQLite. Other sessions' queries on the same server count too, so
// the benchmark is run with the server otherwise idle.
func serverCPU() time.Duration {
	if benchDriver() != store.DriverPostgres {
		return 0
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	tick := time.Second / 100 // USER_HZ on Linux
	var total time.Duration
	for _, path := range dirs {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open || s[open+1:close] != "postgres" {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 15 {
			continue
		}
		// Fields 14–17 of stat, counted after the name: utime, stime,
		// and the cutime, cstime of children waited for, so that backends
		// that have exited still count (in the postmaster's).
		for _, i := range []int{11, 12, 13, 14} {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			total += time.Duration(v) * tick
		}
	}
	return total
}
