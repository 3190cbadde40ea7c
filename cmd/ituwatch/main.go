// Command ituwatch watches the ITU and the press around it for
// Internet-governance mandate creep and alerts policy teams in Slack, Matrix
// or the terminal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/ituwatch/ituwatch/config"
)

// version may be set at build time with -ldflags "-X main.version=...";
// otherwise main takes it from what the go command recorded in the binary.
var version = "dev"

// resolveVersion names this build: the -ldflags version, else the module
// version (go install …@v1.2.3), else the commit it was built from
// (-modified when the checkout had local changes), else "dev".
func resolveVersion(ldflags string, info *debug.BuildInfo) string {
	if ldflags != "" && ldflags != "dev" {
		return ldflags
	}
	if info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, modified := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		rev += "-modified"
	}
	return rev
}

// userAgent is what sources see unless http.user_agent says otherwise:
// the version lets a site operator tell builds apart, the address reach us.
func userAgent() string {
	return "ituwatch/" + version + " (+https://github.com/ituwatch/ituwatch)"
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv carries what a subcommand may touch, so tests can run the real
// commands in-process.
type cliEnv struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	lookupEnv      func(string) (string, bool)
}

func commands() []command {
	return []command{
		{"init", "write a starter config that runs with no tokens (alerts to the terminal)", cmdInit},
		{"run", "run the watcher daemon: poll on schedule, alert, answer chat commands", cmdRun},
		{"once", "poll every source once, print new alerts, exit", cmdOnce},
		{"demo", "run the whole pipeline on built-in sample sources (no network, no config)", cmdDemo},
		{"rules", "test rules on text, evaluate them on a labelled corpus, replay them on history", cmdRules},
		{"check-config", "validate a config file and report every problem", cmdCheckConfig},
		{"chat", "a terminal chat session with the bot's commands", cmdChat},
		{"migrate", "copy a SQLite store into an empty Postgres database (--from sqlite:FILE --to postgres:DSN)", cmdMigrate},
		{"version", "print the version", cmdVersion},
	}
}

func main() {
	info, _ := debug.ReadBuildInfo()
	version = resolveVersion(version, info)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &cliEnv{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, lookupEnv: os.LookupEnv}
	os.Exit(runCLI(ctx, env, os.Args[1:]))
}

// errUsage means the problem was already explained on stderr.
var errUsage = errors.New("usage")

func runCLI(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			var problems config.Problems
			if errors.As(err, &problems) {
				noun := "problems"
				if len(problems) == 1 {
					noun = "problem"
				}
				fmt.Fprintf(env.stderr, "ituwatch %s: the config has %d %s to fix:\n%v\n", c.name, len(problems), noun, err)
				return 1
			}
			fmt.Fprintf(env.stderr, "ituwatch %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.stderr, "ituwatch: unknown command %q\n\n", args[0])
	usage(env.stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "ituwatch watches the ITU and the press for Internet-governance mandate creep.")
	fmt.Fprintln(w, "\nUsage: ituwatch <command> [flags]    (ituwatch <command> -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nStart with: ituwatch demo, then ituwatch init")
}

// newFlags makes a FlagSet whose errors and -h go to stderr with a summary.
func newFlags(env *cliEnv, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: ituwatch %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags turns flag errors into errUsage (already printed) and rejects
// stray arguments, which are usually a flag placed after a positional one.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

func cmdVersion(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "version", "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "ituwatch %s\n", version)
	return nil
}
