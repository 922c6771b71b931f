package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/notify"
)

// config is tuikuan serve's configuration. Flags win; TUIKUAN_* environment variables are
// the fallback; the defaults run with no setup.
type config struct {
	Addr          string
	Data          string
	SettleDelay   time.Duration
	Lenient       bool
	RefundSpacing bool
	LogLevel      string
	// LogFormat is text (logfmt) or json, one object a line.
	LogFormat string
	// MetricsAddr, when set, is the address /metrics is served on instead of the main
	// listener, e.g. one only the monitoring network reaches.
	MetricsAddr string
	// PprofAddr, when set, is the address Go's profiler endpoints (/debug/pprof/) are
	// served on; they are never on the main listener.
	PprofAddr string
	// RateLimit is the default rate-limit profile: sandbox, wechat or off.
	RateLimit string
	// NotifyTimeScale multiplies the notification retry schedule; 0.001 turns 15 s into 15 ms.
	NotifyTimeScale float64
	// NotifyDeny adds address ranges notifications are never sent to; NotifyAllow takes
	// ranges out of the denied ones, the defaults included.
	NotifyDeny, NotifyAllow []netip.Prefix
	// NotifyWorkers bounds the notifications being delivered at once, NotifyPerURL those
	// to one notify_url.
	NotifyWorkers, NotifyPerURL int
	// DB is a postgres:// URL: the store is that PostgreSQL database instead of SQLite in
	// the data dir, and several nodes may share it.
	DB string
	// StoreTimeout bounds each store call, so that a request during a database outage is
	// answered SYSTEM_ERROR instead of hanging.
	StoreTimeout time.Duration
	// Node names this process in log lines, Request-IDs and the banner.
	Node string
	// Nodes is how many nodes share the database: each enforces that share of every
	// rate limit.
	Nodes int
	// Journal is how many API requests the request journal keeps, all nodes together;
	// 0 turns it off.
	Journal int
	// Console serves the web console under /console/.
	Console bool
}

// newFlagSet returns a FlagSet that reports errors instead of exiting. Its usage, asked
// for or after a mistake, goes to stderr like every other command's.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: tuikuan %s [flags]\n\nflags:\n", name)
		fs.PrintDefaults()
	}
	return fs
}

// commandHelp answers a command with subcommands when its first argument asks for help:
// it prints usage and returns flag.ErrHelp, which main takes for success as the flag
// package's own -h.
func commandHelp(args []string, usage string, stderr io.Writer) (bool, error) {
	if len(args) == 0 {
		return false, nil
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stderr, strings.TrimRight(usage, "\n"))
		return true, flag.ErrHelp
	}
	return false, nil
}

// dataFlag registers --data, shared by every command that reads the data dir.
func dataFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	return fs.String("data", envOr(getenv, "TUIKUAN_DATA", "./tuikuan-data"), "data directory (env TUIKUAN_DATA)")
}

func parseServe(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&c.Addr, "addr", envOr(getenv, "TUIKUAN_ADDR", "127.0.0.1:8080"), "listen address (env TUIKUAN_ADDR)")
	data := dataFlag(fs, getenv)
	delay, err := envDuration(getenv, "TUIKUAN_SETTLE_DELAY", 5*time.Second)
	if err != nil {
		return c, err
	}
	fs.DurationVar(&c.SettleDelay, "settle-delay", delay, "how long a refund stays PROCESSING before the simulated channel settles it; 0 = only when told (env TUIKUAN_SETTLE_DELAY)")
	lenient, err := envBool(getenv, "TUIKUAN_LENIENT")
	if err != nil {
		return c, err
	}
	fs.BoolVar(&c.Lenient, "lenient", lenient, "ignore unknown JSON body fields instead of answering PARAM_ERROR (env TUIKUAN_LENIENT)")
	spacing, err := envBool(getenv, "TUIKUAN_REFUND_SPACING")
	if err != nil {
		return c, err
	}
	fs.BoolVar(&c.RefundSpacing, "refund-spacing", spacing, "require one minute between two refunds of one order, as WeChat Pay does (env TUIKUAN_REFUND_SPACING)")
	fs.StringVar(&c.RateLimit, "rate-limit", envOr(getenv, "TUIKUAN_RATE_LIMIT", "sandbox"), "rate-limit profile of merchants that set none: sandbox, wechat or off (env TUIKUAN_RATE_LIMIT)")
	scale, err := envFloat(getenv, "TUIKUAN_NOTIFY_TIME_SCALE", 1)
	if err != nil {
		return c, err
	}
	fs.Float64Var(&c.NotifyTimeScale, "notify-time-scale", scale, "multiplies the notification retry schedule, e.g. 0.01 for tests (env TUIKUAN_NOTIFY_TIME_SCALE)")
	deny := fs.String("notify-deny", getenv("TUIKUAN_NOTIFY_DENY"), "comma-separated CIDR ranges notifications are never sent to, on top of link-local, multicast and unspecified addresses (env TUIKUAN_NOTIFY_DENY)")
	allow := fs.String("notify-allow", getenv("TUIKUAN_NOTIFY_ALLOW"), "comma-separated CIDR ranges notifications may be sent to even if denied, e.g. 169.254.0.0/16 (env TUIKUAN_NOTIFY_ALLOW)")
	workers, err := envInt(getenv, "TUIKUAN_NOTIFY_WORKERS", notify.DefaultWorkers)
	if err != nil {
		return c, err
	}
	fs.IntVar(&c.NotifyWorkers, "notify-workers", workers, "notifications delivered at once; each mostly waits for its merchant and its record, so many more than the cores (env TUIKUAN_NOTIFY_WORKERS)")
	perURL, err := envInt(getenv, "TUIKUAN_NOTIFY_PER_URL", notify.DefaultPerURL)
	if err != nil {
		return c, err
	}
	fs.IntVar(&c.NotifyPerURL, "notify-per-url", perURL, "notifications delivered at once to one notify_url, so that a slow merchant holds at most that many workers (env TUIKUAN_NOTIFY_PER_URL)")
	db := dbFlag(fs, getenv)
	storeTimeout, err := envDuration(getenv, "TUIKUAN_STORE_TIMEOUT", 5*time.Second)
	if err != nil {
		return c, err
	}
	fs.DurationVar(&c.StoreTimeout, "store-timeout", storeTimeout, "longest a store call may take before the request fails with SYSTEM_ERROR (env TUIKUAN_STORE_TIMEOUT)")
	fs.StringVar(&c.Node, "node", envOr(getenv, "TUIKUAN_NODE", defaultNode()), "name of this node in logs and Request-IDs: letters, digits, '.', '_', '-' (env TUIKUAN_NODE)")
	nodes, err := envInt(getenv, "TUIKUAN_NODES", 1)
	if err != nil {
		return c, err
	}
	fs.IntVar(&c.Nodes, "nodes", nodes, "how many nodes share the database, 1 to 64: each enforces that share of a merchant's rate limits (env TUIKUAN_NODES)")
	journal, err := envInt(getenv, "TUIKUAN_JOURNAL", 10000)
	if err != nil {
		return c, err
	}
	fs.IntVar(&c.Journal, "journal", journal, "how many API requests the request journal keeps for the console, oldest dropped first; 0 = off (env TUIKUAN_JOURNAL)")
	console, err := envBoolOr(getenv, "TUIKUAN_CONSOLE", true)
	if err != nil {
		return c, err
	}
	fs.BoolVar(&c.Console, "console", console, "serve the web console at /console/, signed in with the sandbox token; --console=false turns it off (env TUIKUAN_CONSOLE)")
	fs.StringVar(&c.LogLevel, "log-level", envOr(getenv, "TUIKUAN_LOG_LEVEL", "info"), "debug, info, warn or error (env TUIKUAN_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", envOr(getenv, "TUIKUAN_LOG_FORMAT", "text"), "text or json, one object a line (env TUIKUAN_LOG_FORMAT)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", getenv("TUIKUAN_METRICS_ADDR"), "serve /metrics on this address instead of on --addr, e.g. 127.0.0.1:9090 (env TUIKUAN_METRICS_ADDR)")
	fs.StringVar(&c.PprofAddr, "pprof-addr", getenv("TUIKUAN_PPROF_ADDR"), "serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; off when empty, never on --addr (env TUIKUAN_PPROF_ADDR)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.Data, c.DB = *data, *db
	switch c.RateLimit {
	case "sandbox", "wechat", "off":
	default:
		return c, fmt.Errorf("--rate-limit %q: want sandbox, wechat or off", c.RateLimit)
	}
	if c.NotifyTimeScale <= 0 {
		return c, fmt.Errorf("--notify-time-scale %v: want a positive number", c.NotifyTimeScale)
	}
	if c.NotifyWorkers < 1 || c.NotifyPerURL < 1 {
		return c, fmt.Errorf("--notify-workers %d, --notify-per-url %d: want at least 1", c.NotifyWorkers, c.NotifyPerURL)
	}
	if c.NotifyDeny, err = notify.ParsePrefixes(*deny); err != nil {
		return c, fmt.Errorf("--notify-deny: %w", err)
	}
	if c.NotifyAllow, err = notify.ParsePrefixes(*allow); err != nil {
		return c, fmt.Errorf("--notify-allow: %w", err)
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		return c, fmt.Errorf("--db: want a postgres:// URL")
	}
	if c.StoreTimeout <= 0 {
		return c, fmt.Errorf("--store-timeout %v: want a positive duration", c.StoreTimeout)
	}
	if !validNode(c.Node) {
		return c, fmt.Errorf("--node %q: want 1 to 64 letters, digits, '.', '_' or '-'", c.Node)
	}
	if c.Nodes < 1 || c.Nodes > 64 {
		return c, fmt.Errorf("--nodes %d: want 1 to 64", c.Nodes)
	}
	if c.Journal < 0 {
		return c, fmt.Errorf("--journal %d: want 0 or more", c.Journal)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return c, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return c, fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	return c, nil
}

func envFloat(getenv func(string) string, key string, def float64) (float64, error) {
	return envParse(getenv, key, def, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) })
}

func envInt(getenv func(string) string, key string, def int) (int, error) {
	return envParse(getenv, key, def, strconv.Atoi)
}

func envDuration(getenv func(string) string, key string, def time.Duration) (time.Duration, error) {
	return envParse(getenv, key, def, time.ParseDuration)
}

// envParse reads a variable with parse; unset is def, and a value parse refuses is an
// error naming the variable.
func envParse[T any](getenv func(string) string, key string, def T, parse func(string) (T, error)) (T, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	x, err := parse(v)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", key, err)
	}
	return x, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// envBool reads a boolean variable; unset is false.
func envBool(getenv func(string) string, key string) (bool, error) {
	return envBoolOr(getenv, key, false)
}

// envBoolOr reads a boolean variable; unset is def. A value that is not one
// strconv.ParseBool knows is an error: ignoring "yes" would run without the setting the
// operator asked for.
func envBoolOr(getenv func(string) string, key string, def bool) (bool, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", key, v)
	}
	return b, nil
}

// defaultNode names a node that was given no name: the host name and the process id,
// which tell apart two nodes on one host and a restarted node from its predecessor.
func defaultNode() string {
	host, err := os.Hostname()
	if err != nil || !validNode(host) {
		host = "node"
	}
	if i := strings.IndexByte(host, '.'); i > 0 {
		host = host[:i]
	}
	return host + "-" + strconv.Itoa(os.Getpid())
}

// validNode says whether name may name a node: it goes into every Request-ID before a
// ':', so it must hold no ':' and nothing a header or a log line would need to quote.
func validNode(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}
