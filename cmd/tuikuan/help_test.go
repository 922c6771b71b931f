package main

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/tuikuan/tuikuan/internal/endpoint"
)

// Ensure every command and subcommand answers --help (and -h) with its usage on stderr
// and nothing on stdout, and that the process would exit 0.
func TestHelp_EveryCommand(t *testing.T) {
	commands := [][]string{
		{}, {"help"},
		{"serve"},
		{"merchant"}, {"merchant", "add"}, {"merchant", "list"},
		{"transaction"}, {"transaction", "create"}, {"pay"},
		{"refund"}, {"refund", "settle"},
		{"clock"}, {"clock", "show"}, {"clock", "advance"},
		{"fault"}, {"fault", "add"}, {"fault", "list"}, {"fault", "rm"},
		{"complaint"}, {"complaint", "create"}, {"complaint", "message"}, {"complaint", "continue"},
		{"bench"}, {"bench-baseline"},
		{"version"},
	}
	for _, cmd := range commands {
		for _, flag := range []string{"--help", "-h"} {
			args := append(append([]string{}, cmd...), flag)
			if len(cmd) == 1 && cmd[0] == "help" {
				args = cmd
			}
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				// No data dir exists: help must not need one.
				dir := t.TempDir()
				err := run(context.Background(), args, func(k string) string { return map[string]string{"TUIKUAN_DATA": dir}[k] }, &stdout, &stderr)
				var report bytes.Buffer
				if code := exitCode(err, &report); code != 0 {
					t.Errorf("exit code %d, want 0; main would print %q", code, report.String())
				}
				if !strings.HasPrefix(stderr.String(), "usage: tuikuan") {
					t.Errorf("stderr = %q, want the usage", stderr.String())
				}
				if stdout.Len() != 0 {
					t.Errorf("stdout = %q, want nothing: usage goes to stderr", stdout.String())
				}
			})
		}
	}
}

// Ensure fault add's --api help names every API a rule may match.
func TestHelp_FaultAPIs(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"fault", "add", "--help"}, func(string) string { return "" }, io.Discard, &stderr); exitCode(err, io.Discard) != 0 {
		t.Fatalf("fault add --help: %v", err)
	}
	for _, api := range endpoint.All {
		if !strings.Contains(stderr.String(), api) {
			t.Errorf("fault add --help does not name API %q:\n%s", api, stderr.String())
		}
	}
}

// Ensure `tuikuan version` prints the binary's version and Go version, and the commit and
// its time when the build recorded them.
func TestVersion(t *testing.T) {
	out, err := runCLI(t, "version")
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	if !strings.HasPrefix(out, "tuikuan ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("version = %q, want tuikuan's version and %s", out, runtime.Version())
	}
	bi := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/tuikuan/tuikuan", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := versionOf(bi), "tuikuan v1.2.3 (commit 0123abcd, 2026-12-01T10:00:00Z, modified) go1.99.1"; got != want {
		t.Errorf("versionOf = %q, want %q", got, want)
	}
}
