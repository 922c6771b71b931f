package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/tuikuan/tuikuan/internal/apiv2"
	"github.com/tuikuan/tuikuan/internal/apiv3"
	"github.com/tuikuan/tuikuan/internal/console"
	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/journal"
	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/metrics"
	"github.com/tuikuan/tuikuan/internal/notify"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/ratelimit"
	"github.com/tuikuan/tuikuan/internal/sandbox"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// gcPercent and memoryLimit are the server's GOGC and GOMEMLIMIT unless the
// environment sets them.
const (
	gcPercent   = 400
	memoryLimit = 128 << 20
)

// serve runs the server until ctx is done. Everything a script reads — credentials.json
// and the files it names — is on disk before the listener answers its first request.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServe(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel, cfg.LogFormat, stderr)
	if err != nil {
		return err
	}
	log = log.With("node", cfg.Node)
	// A server keeps a heap of a few MB while each request allocates tens of KB, so at
	// Go's default GOGC of 100 the collector runs many times a second for little. Four
	// times the live heap (tens of MB) is still far below what the server's memory is
	// sized for, for a quarter of the collections. GOGC, when set, wins.
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	// And a soft ceiling, so that a burst of large requests makes the collector work
	// harder rather than the process grow: with it the server stayed under 120 MB of RSS
	// at 64 clients, 170 MB without. GOMEMLIMIT, when set, wins.
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	// On SQLite one server owns the data dir. On PostgreSQL several nodes share the
	// database, on one data dir or on copies of it.
	if cfg.DB == "" {
		unlockServe, err := lockDir(cfg.Data, serveLock, false)
		if err != nil {
			return err
		}
		defer unlockServe()
	}
	unlockSetup, err := lockDir(cfg.Data, setupLock, true)
	if err != nil {
		return err
	}
	defer unlockSetup()
	rawStore, platform, token, err := openData(ctx, cfg.Data, cfg.DB, cfg.StoreTimeout)
	if err != nil {
		return err
	}
	defer rawStore.Close()
	m := metrics.New()
	store := boundedStore{Store: rawStore, timeout: cfg.StoreTimeout, observe: m.ObserveTransaction}

	svc := pay.NewService(store, pay.Simulated{Delay: cfg.SettleDelay}, pay.NewClock(nil))
	svc.Spacing = cfg.RefundSpacing
	svc.RateProfile = cfg.RateLimit
	m.WatchStore(metrics.ServiceCounts(svc), log)
	if svc.Sealer, err = newSealer(cfg.Data); err != nil {
		return err
	}
	if err := svc.Time.Load(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen for metrics: %w", err)
		}
		defer metricsLn.Close()
	}
	if cfg.PprofAddr != "" {
		stop, err := servePprof(cfg.PprofAddr)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
	}
	apiBase := baseURL(ln.Addr())
	if err := writeCredentials(ctx, cfg.Data, apiBase, store, platform, token); err != nil {
		ln.Close()
		return err
	}
	unlockSetup()

	// faults are the fault rules of the sandbox API, obeyed by the APIv3 and v2 handlers and the
	// notification deliverer alike, kept in the store so that every node obeys them. A
	// SQLite data dir has one server, so it also keeps them in memory between its changes.
	faults := fault.NewShared(store)
	if cfg.DB == "" {
		faults = fault.NewOwned(store)
	}
	// limits are the per-second rate limits, one set for the APIv3 and v2 handlers: this
	// node's share of them, when several share the database.
	limits := ratelimit.NewShare(rateClock(ctx), cfg.Nodes)
	// nonces guard against replays. A SQLite data dir serves one process (serve.lock), so
	// its nonces stay in memory and a signed GET writes nothing; nodes sharing PostgreSQL
	// share them through it, so that one node refuses a nonce another accepted.
	var nonces apiv3.NonceStore
	if cfg.DB != "" {
		nonces = apiv3.StoreNonces(store)
	}
	// journal records every APIv3 and v2 request (not the sandbox's, not the console's);
	// nil when --journal 0. It is also what the console lists and shows entries through.
	journal := newJournal(store, cfg, log)
	if journal != nil {
		m.WatchJournalDrops(journal.Dropped)
	}
	mux := http.NewServeMux()
	v3 := capture(journal, apiv3.NewHandler(apiv3.Config{Service: svc, Platform: platform, Logger: log, Lenient: cfg.Lenient, Faults: faults, Limits: limits,
		Nonces: nonces}))
	mux.Handle("/v3/", v3)
	v2 := capture(journal, apiv2.NewHandler(apiv2.Config{Service: svc, Logger: log, Faults: faults, Limits: limits}))
	mux.Handle("/pay/", v2)
	mux.Handle("/secapi/", v2)
	deliverer := notify.New(notify.Config{Service: svc, Platform: platform, Logger: log, Scale: cfg.NotifyTimeScale, Faults: faults,
		Deny: cfg.NotifyDeny, Allow: cfg.NotifyAllow, Observe: m.ObserveAttempt,
		Workers: cfg.NotifyWorkers, PerURL: cfg.NotifyPerURL})
	sb := sandbox.NewHandler(sandbox.Config{Service: svc, Token: token, Logger: log, Notifier: deliverer, Faults: faults})
	mux.Handle("/sandbox/", sb)
	if cfg.Console {
		// With the journal off the console gets a nil interface, not a nil *Recorder,
		// which would look like a journal to it.
		var entries console.Journal
		if journal != nil {
			entries = journal
		}
		mux.Handle("/console/", console.NewHandler(console.Config{Service: svc, Faults: faults, Notifier: deliverer,
			Journal: entries, Token: token, Data: cfg.Data, Logger: log}))
	}
	// healthz says the process is alive; readyz that it can serve, its database reachable.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", readyz(rawStore, min(cfg.StoreTimeout, 2*time.Second)))
	// /metrics holds no secret and Prometheus scrapes without credentials: it is open,
	// on the main listener unless it has one of its own.
	var metricsSrv *http.Server
	if metricsLn == nil {
		mux.Handle("GET /metrics", m.Handler(log))
	} else {
		metricsMux := http.NewServeMux()
		metricsMux.Handle("GET /metrics", m.Handler(log))
		metricsSrv = httpServer(metricsMux)
	}
	routed := jsonapi.ByPrefix(mux, map[string]http.Handler{"/v3/": v3, "/sandbox/": sb})
	// Instrument reads the exchange Common starts, so it runs inside it.
	srv := httpServer(jsonapi.Common(m.Instrument(withStoreBound(routed)), log, cfg.Node))

	// Deferred next after the store's Close, so it runs just before it, after the rest.
	defer func() {
		if testHookBeforeStoreClose != nil {
			testHookBeforeStoreClose()
		}
	}()
	runCtx, cancel := context.WithCancel(ctx)
	// The settler and the deliverer (with its deliveries in flight) use the store: stop
	// them and wait for them before it closes.
	var workers sync.WaitGroup
	defer workers.Wait()
	defer cancel()
	workers.Go(func() {
		svc.Refunds.RunSettler(runCtx, 200*time.Millisecond, func(err error) { log.Error("settle refunds", "err", err) })
	})
	workers.Go(func() { deliverer.Run(runCtx) })
	workers.Go(func() {
		svc.Time.Run(runCtx, pay.ClockRefresh, func(err error) { log.Error("read the business clock", "err", err) })
	})
	if journal != nil {
		// Run writes what is still queued when runCtx ends, before the store closes.
		workers.Go(func() { journal.Run(runCtx) })
	}

	errc := make(chan error, 2)
	tlsConfig, err := serverTLS(cfg.Data, ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	go func() { errc <- srv.Serve(newDualListener(ln, tlsConfig)) }()
	if metricsSrv != nil {
		go func() { errc <- metricsSrv.Serve(metricsLn) }()
		defer metricsSrv.Close()
	}
	printConnect(stdout, apiBase, cfg)
	metricsBase := apiBase
	if metricsLn != nil {
		metricsBase = baseURL(metricsLn.Addr())
	}
	fmt.Fprintf(stdout, "  metrics:      %s/metrics (Prometheus)\n", metricsBase)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// newJournal is the request journal cfg asks for, nil when it asks for none. It writes
// through store, whose bound on each call keeps a database outage from holding its
// writes (and shutdown) up.
func newJournal(store pay.Store, cfg config, log *slog.Logger) *journal.Recorder {
	if cfg.Journal == 0 {
		return nil
	}
	return journal.New(store, journal.Config{Keep: cfg.Journal, Node: cfg.Node, Logger: log})
}

// capture wraps an API's handler in the journal's recording, when there is a journal.
func capture(j *journal.Recorder, h http.Handler) http.Handler {
	if j == nil {
		return h
	}
	return j.Capture(h)
}

// httpServer bounds how long a client may hold a connection without finishing a request:
// its headers, then the whole request with its body (the largest, a 2 MB image upload,
// still fits at under 1 Mbit/s), then the pause before its next request. The idle bound
// is longer than the 90 s after which Go's default transport drops an idle connection, so
// that Go clients close idle connections first and never send a request on one the
// server is closing.
func httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

// rateClockKey carries the real-time clock the rate limiter reads, for tests that run
// several servers in one process and need to move one server's time without sleeping.
type rateClockKey struct{}

// rateClock returns the clock ctx carries for the rate limiter, or time.Now.
func rateClock(ctx context.Context) func() time.Time {
	if now, ok := ctx.Value(rateClockKey{}).(func() time.Time); ok {
		return now
	}
	return time.Now
}

// testHookBeforeStoreClose, when set by a test, runs as serve returns, just before the
// store closes.
var testHookBeforeStoreClose func()

// serverTLS is the TLS side of the listener, under the data dir's CA.
func serverTLS(dir string, addr net.Addr) (*tls.Config, error) {
	ca, err := identity.LoadOrCreateCA(dir, time.Now())
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(addr.String())
	return ca.ServerConfig(dir, host, time.Now())
}

// newSealer seals secrets at rest (merchants' keys, the platform key, the sandbox token,
// abnormal-refund bank accounts and names) under the data dir's server key.
func newSealer(dir string) (*wxcrypto.Sealer, error) {
	key, err := identity.LoadOrCreateServerKey(dir)
	if err != nil {
		return nil, err
	}
	return wxcrypto.NewSealer(key)
}

// writeCredentials re-issues old-form merchant certificates before it writes the files,
// so that the store, the certificate files and credentials.json change together.
func writeCredentials(ctx context.Context, dir, apiBase string, store pay.Store, p *identity.Platform, token string) error {
	if err := identity.ReissueOldSerials(ctx, dir, store, time.Now()); err != nil {
		return err
	}
	ms, err := identity.Merchants(ctx, store)
	if err != nil {
		return err
	}
	ca, err := identity.LoadOrCreateCA(dir, time.Now())
	if err != nil {
		return err
	}
	return identity.WriteCredentials(dir, apiBase, p, ca, token, ms)
}

// baseURL is how a client on this machine reaches the listener: a wildcard address
// (":8080", "0.0.0.0:8080") is reached through loopback.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func printConnect(w io.Writer, apiBase string, cfg config) {
	dir := cfg.Data
	db := "SQLite in the data dir"
	if cfg.DB != "" {
		db = "PostgreSQL " + redactURL(cfg.DB)
	}
	fmt.Fprintf(w, `tuikuan node %s is listening on %s
  store:        %s
  credentials:  %s
  merchants, keys and the platform public key are listed there; point your WeChat Pay
  client at %s instead of https://api.mch.weixin.qq.com (see README "Connect a client").
  v2 XML API:   the same port over https:// too (%s), client certificates
                for /secapi/ in merchants/<mchid>/apiclient_client_cert.pem
  sandbox API:  %s/sandbox/v1/… with "Authorization: Bearer <sandbox_token>"
`, cfg.Node, apiBase, db, filepath.Join(dir, identity.CredentialsFile), apiBase, strings.Replace(apiBase, "http://", "https://", 1), apiBase)
}

// newLogger logs at level in format, text or json. Every line logged with a request's
// context carries the request's request_id.
func newLogger(level, format string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: l}
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: want text or json", format)
	}
	return slog.New(jsonapi.LogHandler(h)), nil
}

// redactURL is a database URL fit for the banner and logs: without its password.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// servePprof serves Go's profiler on addr, a listener of its own: profiles show what the
// server is doing, so they stay off the listener clients reach.
func servePprof(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() { srv.Close() }, nil
}
