package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/bench"
)

const benchAbout = `usage: tuikuan bench [flags]

Load-tests a RUNNING tuikuan (found through --data's credentials.json) and, with
--baseline, a sign-only baseline under the same client settings: the baseline, a child
process, only parses Authorization, verifies the signature and signs an answer of the
same size (for APIv2: parses the XML, checks the MD5 sign, signs the answer). Rounds
alternate tuikuan and baseline; the report gives each round's ratio and their median.

Requests are pre-signed before each round (unique nonces and out_refund_no, timestamps
inside the 5-minute window), sized from the last round's rate, so the client spends no
RSA while timing; a round that uses its whole pool stops early and says so. Answer
signatures are NOT verified: this is load, not conformance. Orders are made through the
sandbox API; run the server with --rate-limit off.

scenarios: apply, apply-ecommerce, query, v2-refundquery, abnormal, notify (comma-separated)

`

func benchCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchAbout+"flags:\n")
		fs.PrintDefaults()
	}
	var cfg bench.Config
	data := dataFlag(fs, getenv)
	fs.StringVar(&cfg.URL, "url", "", "the server's base URL (default: credentials.json's api_base)")
	scenarios := fs.String("scenario", "apply", "what to measure: "+strings.Join(bench.Scenarios, ", ")+" (comma-separated)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 16, "closed loop: workers, each sending its next request when its last was answered (notify: settle calls at once)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "open loop: requests a second on a fixed schedule, latency measured from the scheduled time (0 = closed loop)")
	fs.IntVar(&cfg.MaxInflight, "max-inflight", 4096, "open loop: most requests awaiting an answer at once")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "length of a timed round")
	fs.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "untimed round before each target's first (0 = none)")
	fs.IntVar(&cfg.Rounds, "rounds", 3, "timed rounds per target")
	fs.IntVar(&cfg.Pool, "pool", 0, "pre-signed requests per round (0 = from the last round's rate)")
	baseline := fs.Bool("baseline", false, "also measure the sign-only baseline, alternating rounds with tuikuan")
	fs.IntVar(&cfg.Receivers, "receivers", 16, "notify: local receivers the notifications are spread over")
	fs.IntVar(&cfg.Notifications, "notifications", 2000, "notify: refunds settled per round")
	fs.DurationVar(&cfg.NotifyTimeout, "notify-timeout", time.Minute, "notify: longest wait for a round's deliveries")
	fs.BoolVar(&cfg.JSON, "json", false, "write the report as JSON, one object per scenario")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench takes no arguments, got %q", fs.Args())
	}
	if cfg.Concurrency < 1 || cfg.Rounds < 1 || cfg.Receivers < 1 || cfg.Notifications < 1 || cfg.MaxInflight < 1 || cfg.Rate < 0 {
		return errors.New("--concurrency, --rounds, --receivers, --notifications and --max-inflight must be at least 1, --rate not negative")
	}
	cfg.Dir = *data
	cfg.Scenarios = strings.Split(*scenarios, ",")
	if *baseline {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find this binary to run the baseline: %w", err)
		}
		cfg.Baseline = []string{exe, "bench-baseline"}
	}
	return bench.Run(ctx, cfg, stdout, stderr)
}

// benchBaseline is the hidden subcommand the bench starts the sign-only baseline with,
// as a process of its own so that its CPU time is its own.
func benchBaseline(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench-baseline", stderr)
	data := dataFlag(fs, getenv)
	listen := fs.String("listen", "127.0.0.1:0", "listen address; the address taken is printed on stdout")
	answer := fs.String("answer", "", "file holding a tuikuan answer body to answer with (its size and, for APIv2, its fields)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *answer == "" {
		return errors.New("--answer is required")
	}
	return bench.ServeBaseline(ctx, *listen, *data, *answer, stdout)
}
