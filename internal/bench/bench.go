// Package bench is tuikuan's load generator: it drives a running tuikuan with pre-signed
// requests in closed or open loop and, round for round, a sign-only baseline under the
// same client, so that every result is a ratio that holds on a noisy machine.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Config is one run of the bench.
type Config struct {
	Dir         string // data dir holding credentials.json
	URL         string // overrides credentials.json's api_base
	Scenarios   []string
	Concurrency int
	Rate        float64 // > 0: open loop at this many requests a second
	MaxInflight int     // open loop's cap on requests awaiting an answer
	Duration    time.Duration
	Warmup      time.Duration
	Rounds      int
	Pool        int // pre-signed requests a round; 0 sizes it from the last rate
	// Baseline, when set, is the command that runs the sign-only baseline (the binary
	// and its subcommand); rounds then alternate tuikuan and baseline.
	Baseline      []string
	Receivers     int
	Notifications int
	NotifyTimeout time.Duration
	JSON          bool
}

// Result is one scenario's figures.
type Result struct {
	Scenario        string    `json:"scenario"`
	Loop            string    `json:"loop"` // closed or open
	Concurrency     int       `json:"concurrency,omitempty"`
	Rate            float64   `json:"rate,omitempty"`
	DurationSeconds float64   `json:"duration_seconds"`
	Rounds          []Round   `json:"rounds,omitempty"`
	Ratios          []float64 `json:"ratios,omitempty"`
	MedianRatio     float64   `json:"median_ratio,omitempty"`
	Tuikuan         *Summary  `json:"tuikuan,omitempty"`
	Baseline        *Summary  `json:"baseline,omitempty"`
	Notify          *Notify   `json:"notify,omitempty"`
}

// Summary is a target's medians over its timed rounds.
type Summary struct {
	Requests        int64    `json:"requests"`
	Errors          int64    `json:"errors"`
	Throughput      float64  `json:"median_throughput_rps"`
	P99             float64  `json:"median_p99_ms"`
	CPUMsPerRequest *float64 `json:"median_cpu_ms_per_request,omitempty"`
}

// Report is the --json output.
type Report struct {
	Scenarios []Result `json:"scenarios"`
}

// Run benchmarks cfg.Scenarios one after the other, progress on stderr, the report on
// stdout.
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	// The progress line and the baseline child's own output share stderr, written from
	// two goroutines.
	stderr = &lockedWriter{w: stderr}
	e, err := newEnv(cfg)
	if err != nil {
		return err
	}
	var rep Report
	for _, name := range cfg.Scenarios {
		var res *Result
		if name == "notify" {
			res, err = runNotify(ctx, e, cfg, stderr)
		} else {
			res, err = runScenario(ctx, e, cfg, name, stderr)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rep.Scenarios = append(rep.Scenarios, *res)
		if !cfg.JSON {
			writeText(stdout, res)
		}
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return nil
}

func newEnv(cfg Config) (*env, error) {
	creds, err := identity.ReadCredentials(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("read credentials (is tuikuan set up in %s?): %w", cfg.Dir, err)
	}
	base := strings.TrimRight(creds.APIBase, "/")
	if cfg.URL != "" {
		base = strings.TrimRight(cfg.URL, "/")
	}
	pub, err := platformKey(cfg.Dir, creds)
	if err != nil {
		return nil, fmt.Errorf("platform public key: %w", err)
	}
	conns := max(cfg.Concurrency, cfg.MaxInflight, setupConc)
	if cfg.Rate > 0 {
		conns = cfg.MaxInflight
	}
	return &env{
		dir: cfg.Dir, base: base, creds: creds, platformPub: pub,
		client: &http.Client{Transport: newTransport(conns), Timeout: time.Minute},
		runID:  strings.ToUpper(wxcrypto.Hex(4)),
	}, nil
}

// target is a server the loops drive.
type target struct {
	name string
	base string
	cpu  cpuClock
	rate float64 // the last round's, to size the next pool
	// short says the last round used its whole pool: its rate may be a cold start's.
	short bool
	// forServer is tuikuan, whose pools name orders and refunds that must exist.
	forServer bool
}

// scenarioRun is one scenario's rounds against tuikuan and, optionally, the baseline.
type scenarioRun struct {
	e      *env
	cfg    Config
	name   string
	sc     scenario
	l      loop
	tk     *target
	sample []byte // tuikuan's first successful answer, the baseline's model
	stderr io.Writer
	res    *Result
}

func runScenario(ctx context.Context, e *env, cfg Config, name string, stderr io.Writer) (*Result, error) {
	sc, err := newScenario(e, name)
	if err != nil {
		return nil, err
	}
	if err := sc.prepare(ctx); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	s := &scenarioRun{
		e: e, cfg: cfg, name: name, sc: sc, stderr: stderr,
		l:   loop{conc: cfg.Concurrency, rate: cfg.Rate, maxInflight: cfg.MaxInflight},
		tk:  &target{name: "tuikuan", base: e.base, cpu: metricsCPU(e.client, e.base), forServer: true},
		res: &Result{Scenario: name, Loop: "closed", Concurrency: cfg.Concurrency, DurationSeconds: cfg.Duration.Seconds()},
	}
	if cfg.Rate > 0 {
		s.res.Loop, s.res.Concurrency, s.res.Rate = "open", 0, cfg.Rate
	}
	if err := s.rounds(ctx); err != nil {
		return nil, err
	}
	s.res.MedianRatio = median(s.res.Ratios)
	s.res.Tuikuan = summarize(s.res.Rounds, "tuikuan")
	if len(cfg.Baseline) > 0 {
		s.res.Baseline = summarize(s.res.Rounds, "baseline")
	}
	return s.res, nil
}

// rounds alternates tuikuan and baseline rounds, each target warmed up before its first.
func (s *scenarioRun) rounds(ctx context.Context) error {
	if err := s.warm(ctx, s.tk); err != nil {
		return err
	}
	var bl *target
	for i := 1; i <= s.cfg.Rounds; i++ {
		r, err := s.round(ctx, s.tk, i, s.cfg.Duration)
		if err != nil {
			return err
		}
		if len(s.cfg.Baseline) == 0 {
			continue
		}
		if bl == nil {
			p, err := s.startBaseline()
			if err != nil {
				return err
			}
			defer p.stop()
			bl = &target{name: "baseline", base: p.base, cpu: procCPU(p.cmd.Process.Pid), rate: s.tk.rate * 8}
			if err := s.warm(ctx, bl); err != nil {
				return err
			}
		}
		b, err := s.round(ctx, bl, i, s.cfg.Duration)
		if err != nil {
			return err
		}
		if b.Throughput > 0 {
			s.res.Ratios = append(s.res.Ratios, r.Throughput/b.Throughput)
		}
	}
	return nil
}

func (s *scenarioRun) startBaseline() (*baselineProc, error) {
	if s.sample == nil {
		return nil, errors.New("tuikuan answered no request successfully: nothing to model the baseline's answers on")
	}
	return startBaseline(s.cfg.Baseline, s.e.dir, s.sample, s.stderr)
}

func (s *scenarioRun) warm(ctx context.Context, t *target) error {
	if s.cfg.Warmup <= 0 {
		return nil
	}
	_, err := s.round(ctx, t, 0, s.cfg.Warmup)
	return err
}

// round builds a pool for t, runs it for d and records the round (0 is a warm-up).
func (s *scenarioRun) round(ctx context.Context, t *target, i int, d time.Duration) (Round, error) {
	reqs, err := s.sc.pool(ctx, poolSize(s.cfg, t, d), t.forServer)
	if err != nil {
		return Round{}, fmt.Errorf("build the pool: %w", err)
	}
	rec := newRecorder(s.sc.v2())
	cpu0, ok0 := t.cpu(ctx)
	r := s.l.run(ctx, s.e.client, t.base, reqs, d, rec, s.stderr, fmt.Sprintf("%s %s round %d", s.name, t.name, i))
	cpu1, ok1 := t.cpu(ctx)
	r.Round, r.Target = i, t.name
	if ok0 && ok1 && r.Requests > 0 {
		ms := (cpu1 - cpu0) * 1000 / float64(r.Requests)
		r.CPUMsPerRequest = &ms
	}
	t.rate, t.short = r.Throughput, r.PoolExhausted
	if t.forServer && s.sample == nil {
		s.sample = rec.takeSample()
	}
	s.res.Rounds = append(s.res.Rounds, r)
	return r, ctx.Err()
}

// poolSize is how many requests to pre-sign for a round of d against t: twice what the
// last round's rate needs (on a shared machine the rate of one round is half or double
// the last's), three times when that round ran out, or the schedule's count in open loop.
func poolSize(cfg Config, t *target, d time.Duration) int {
	if cfg.Pool > 0 {
		return cfg.Pool
	}
	if cfg.Rate > 0 {
		return int(cfg.Rate*d.Seconds()) + 10
	}
	rate, margin := t.rate, 2.0
	if rate == 0 {
		rate = 1000 // a first guess; a warm-up that runs out still measures a rate
	}
	if t.short {
		margin = 3
	}
	return int(rate*d.Seconds()*margin) + 2*cfg.Concurrency + 20
}

func summarize(rounds []Round, name string) *Summary {
	s := &Summary{}
	var rates, p99s, cpus []float64
	for _, r := range rounds {
		if r.Target != name || r.Round == 0 {
			continue
		}
		s.Requests += r.Requests
		s.Errors += r.Errors
		rates = append(rates, r.Throughput)
		p99s = append(p99s, r.Latency.P99)
		if r.CPUMsPerRequest != nil {
			cpus = append(cpus, *r.CPUMsPerRequest)
		}
	}
	s.Throughput, s.P99 = median(rates), median(p99s)
	if len(cpus) > 0 {
		c := median(cpus)
		s.CPUMsPerRequest = &c
	}
	return s
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func writeText(w io.Writer, res *Result) {
	if res.Notify != nil {
		writeNotifyText(w, res)
		return
	}
	loopDesc := fmt.Sprintf("closed loop, concurrency %d", res.Concurrency)
	if res.Loop == "open" {
		loopDesc = fmt.Sprintf("open loop, %.0f req/s", res.Rate)
	}
	fmt.Fprintf(w, "%s (%s, %gs rounds)\n", res.Scenario, loopDesc, res.DurationSeconds)
	fmt.Fprintf(w, "  %-8s %5s %8s %7s %10s %7s %7s %7s %7s %8s %7s\n", "target", "round", "requests", "errors", "req/s", "p50", "p90", "p99", "p99.9", "max", "cpu/req")
	for _, r := range res.Rounds {
		cpu := "-"
		if r.CPUMsPerRequest != nil {
			cpu = fmt.Sprintf("%.3f", *r.CPUMsPerRequest)
		}
		round := fmt.Sprint(r.Round)
		if r.Round == 0 {
			round = "warm"
		}
		note := ""
		if r.PoolExhausted {
			note = "  (pool ran out: round cut short)"
		}
		l := r.Latency
		fmt.Fprintf(w, "  %-8s %5s %8d %7d %10.1f %7.2f %7.2f %7.2f %7.2f %8.2f %7s%s\n",
			r.Target, round, r.Requests, r.Errors, r.Throughput, l.P50, l.P90, l.P99, l.P999, l.Max, cpu, note)
		for k, n := range r.ErrorsBy {
			fmt.Fprintf(w, "      %d × %s\n", n, k)
		}
	}
	fmt.Fprintln(w, "  latency in ms, cpu/req in CPU ms per request")
	if len(res.Ratios) > 0 {
		parts := make([]string, len(res.Ratios))
		for i, r := range res.Ratios {
			parts[i] = fmt.Sprintf("%.3f", r)
		}
		fmt.Fprintf(w, "  tuikuan ÷ baseline: %s; median %.3f\n", strings.Join(parts, " "), res.MedianRatio)
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
