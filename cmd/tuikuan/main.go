// Command tuikuan is a WeChat Pay–compatible refund server and its operator CLI.
//
//	tuikuan serve        run the server (SQLite in ./tuikuan-data by default)
//	tuikuan merchant     add or list merchants
//	tuikuan transaction  create a paid order to refund (sandbox)
//	tuikuan pay          pay a placed order as the payer (sandbox)
//	tuikuan refund       settle a refund (sandbox)
//	tuikuan clock        show or advance business time (sandbox)
//	tuikuan fault        add, list or remove fault rules (sandbox)
//	tuikuan complaint    complain as a user: create, message, continue (sandbox)
//	tuikuan bench        load-test a running server against a sign-only baseline
//	tuikuan version      print the version, commit and Go version of this binary
//
// Run `tuikuan <command> -h` for a command's flags.
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
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode is the process's exit status after run returned err, which it reports on
// stderr. Help asked for is a success: the usage is what the user wanted.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "tuikuan:", err)
	return 1
}

const usage = `usage: tuikuan <command> [flags]

commands:
  serve         run the server
  merchant      add | list merchants
  transaction   create a paid order to refund (sandbox API)
  pay           pay a placed order as the payer (sandbox API)
  refund        settle a refund (sandbox API)
  clock         show | advance business time (sandbox API)
  fault         add | list | rm fault rules (sandbox API)
  complaint     create | message | continue a user's complaint (sandbox API)
  bench         load-test a running server, side by side with a sign-only baseline
  version       print the version of this binary

Run 'tuikuan <command> --help' for a command's flags.
`

// run is the whole program, with its environment passed in so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "merchant":
		return merchant(ctx, rest, getenv, stdout, stderr)
	case "transaction":
		return transaction(ctx, rest, getenv, stdout, stderr)
	case "pay":
		return payCmd(ctx, rest, getenv, stdout, stderr)
	case "refund":
		return refundCmd(ctx, rest, getenv, stdout, stderr)
	case "clock":
		return clock(ctx, rest, getenv, stdout, stderr)
	case "fault":
		return faultCmd(ctx, rest, getenv, stdout, stderr)
	case "complaint":
		return complaintCmd(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return benchCmd(ctx, rest, getenv, stdout, stderr)
	case "bench-baseline":
		return benchBaseline(ctx, rest, getenv, stdout, stderr)
	case "version":
		fs := newFlagSet("version", stderr)
		if err := fs.Parse(rest); err != nil {
			return err
		}
		_, err := fmt.Fprintln(stdout, version())
		return err
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// version describes the binary from its build information: the main module's version
// ("(devel)" when built from a checkout), the commit and its time when go build recorded
// them, and the Go version, which is what a bug report needs.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "tuikuan (no build information)"
	}
	return versionOf(bi)
}

func versionOf(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var vcs []string
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		vcs = append(vcs, "commit "+rev)
	}
	if t := settings["vcs.time"]; t != "" {
		vcs = append(vcs, t)
	}
	if settings["vcs.modified"] == "true" {
		vcs = append(vcs, "modified")
	}
	out := "tuikuan " + v
	if len(vcs) > 0 {
		out += " (" + strings.Join(vcs, ", ") + ")"
	}
	return out + " " + bi.GoVersion
}
