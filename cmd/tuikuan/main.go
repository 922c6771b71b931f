// Command tuikuan is a WeChat Pay–compatible refund server and its operator CLI.
//
//	tuikuan serve        run the server (SQLite in ./tuikuan-data by default)
//	tuikuan merchant     add or list merchants
//	tuikuan transaction  create a paid order to refund (sandbox)
//	tuikuan refund       settle a refund (sandbox)
//	tuikuan clock        show or advance business time (sandbox)
//	tuikuan fault        add, list or remove fault rules (sandbox)
//	tuikuan complaint    complain as a user: create, message, continue (sandbox)
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
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "tuikuan:", err)
		os.Exit(1)
	}
}

const usage = `usage: tuikuan <command> [flags]

commands:
  serve         run the server
  merchant      add | list merchants
  transaction   create a paid order to refund (sandbox API)
  refund        settle a refund (sandbox API)
  clock         show | advance business time (sandbox API)
  fault         add | list | rm fault rules (sandbox API)
  complaint     create | message | continue a user's complaint (sandbox API)
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
	case "refund":
		return refundCmd(ctx, rest, getenv, stdout, stderr)
	case "clock":
		return clock(ctx, rest, getenv, stdout, stderr)
	case "fault":
		return faultCmd(ctx, rest, getenv, stdout, stderr)
	case "complaint":
		return complaintCmd(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
