package store

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ituwatch/ituwatch/store/pgtest"
)

// Both dialects have a file for every migration number: a number missing
// on one would leave its schema behind the other's.
func TestMigrationNumbersMatchAcrossDialects(t *testing.T) {
	lite, err := loadMigrations(sqliteMigrations)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := loadMigrations(postgresMigrations)
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []migration) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.name)
		}
		return out
	}
	if !slices.Equal(names(lite), names(pg)) {
		t.Errorf("migration files differ:\nsqlite   %v\npostgres %v", names(lite), names(pg))
	}
}

func TestOpenDriverUnknown(t *testing.T) {
	_, err := OpenDriver(context.Background(), "mysql", "x")
	if err == nil || !strings.Contains(err.Error(), "store.driver must be sqlite or postgres") {
		t.Errorf("OpenDriver(mysql) = %v, want the two drivers named", err)
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

// A connection string holds a password: whatever goes wrong, the error
// says what to fix and never shows it.
func TestPostgresOpenErrorsKeepTheDSNSecret(t *testing.T) {
	const secret = "S3cret-pw-4711"
	tests := []struct {
		name, dsn, want string
	}{
		{"empty", "", "set store.dsn"},
		{"not a connection string", "postgres://ituwatch:" + secret + "@127.0.0.1:notaport/db", "write it as postgres://user:password@host:5432/dbname"},
		{"keyword form not parsable", "host=127.0.0.1 password='" + secret, "write it as postgres://"},
		{"nothing listening", "postgres://ituwatch:" + secret + "@127.0.0.1:" + closedPort(t) + "/db?sslmode=disable&connect_timeout=5", "check the host and port in store.dsn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenDriver(context.Background(), DriverPostgres, tt.dsn)
			if err == nil {
				s.Close()
				t.Fatal("open succeeded")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the password: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// With the password wrong, the server refuses: the error says to check the
// user and password and does not show either password. (CI's server checks
// passwords, see .ci/postgres.sh; a server that trusts loopback lets any
// password in, and then there is nothing to check.)
func TestPostgresWrongPassword(t *testing.T) {
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skip("ITUWATCH_TEST_PG_DSN is not a URL; this test needs one")
	}
	const wrong = "wrong-Passw0rd-0815"
	good, _ := u.User.Password()
	u.User = url.UserPassword(u.User.Username(), wrong)
	s, err := OpenDriver(context.Background(), DriverPostgres, u.String())
	if err == nil {
		s.Close()
		if os.Getenv(pgtest.EnvRequire) == "1" {
			t.Fatal("the server took a wrong password; CI's server must check passwords (see .ci/postgres.sh)")
		}
		t.Skip("the server of ITUWATCH_TEST_PG_DSN does not check passwords")
	}
	msg := err.Error()
	if strings.Contains(msg, wrong) || (good != "" && strings.Contains(msg, good)) {
		t.Errorf("the error shows a password: %v", err)
	}
	if !strings.Contains(msg, "check the user name and password in store.dsn") {
		t.Errorf("error %q does not say what to fix", msg)
	}
}

// Instances started together migrate one at a time (the advisory lock):
// each opens, and every migration is applied once.
func TestPostgresConcurrentOpenMigratesOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = OpenDriver(ctx, DriverPostgres, dsn) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("instance %d: %v", i, errs[i])
			continue
		}
		defer stores[i].Close()
	}
	if err := errors.Join(errs...); err != nil {
		t.FailNow()
	}
	shipped, err := loadMigrations(postgresMigrations)
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range shipped {
		want = append(want, m.version)
	}
	if got := appliedVersions(t, stores[0]); !slices.Equal(got, want) {
		t.Errorf("applied versions = %v, want %v", got, want)
	}
	if d := stores[0].Driver(); d != DriverPostgres {
		t.Errorf("Driver() = %q", d)
	}
}
