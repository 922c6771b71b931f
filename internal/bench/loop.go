package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Round is one timed round against one target.
type Round struct {
	Round      int              `json:"round"` // 0 is the warm-up
	Target     string           `json:"target"`
	Requests   int64            `json:"requests"`
	Errors     int64            `json:"errors"`
	ErrorsBy   map[string]int64 `json:"errors_by,omitempty"`
	Seconds    float64          `json:"seconds"`
	Throughput float64          `json:"throughput_rps"`
	PoolSize   int              `json:"pool_size"`
	// PoolExhausted says the round stopped early: every pre-signed request was sent.
	PoolExhausted   bool     `json:"pool_exhausted"`
	Latency         Latency  `json:"latency_ms"`
	CPUMsPerRequest *float64 `json:"cpu_ms_per_request,omitempty"`
}

// Latency is in milliseconds, from an HDR histogram of microseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// loop is how requests are paced: closed (conc workers, each sending when its last
// answer came) or open (rate a second on a fixed schedule, at most maxInflight at once).
type loop struct {
	conc        int
	rate        float64
	maxInflight int
}

// recorder collects a round's answers.
type recorder struct {
	v2     bool
	count  atomic.Int64
	errs   atomic.Int64
	mu     sync.Mutex
	hist   *hdrhistogram.Histogram
	by     map[string]int64
	sample []byte // the first successful answer's body, to size the baseline's
}

func newRecorder(v2 bool) *recorder {
	// 1 µs to 5 minutes at 3 significant digits.
	return &recorder{v2: v2, hist: hdrhistogram.New(1, int64(5*time.Minute/time.Microsecond), 3), by: map[string]int64{}}
}

func (r *recorder) record(start time.Time, a answer, err error) {
	d := time.Since(start).Microseconds()
	key, ok := classify(a, err, r.v2)
	r.count.Add(1)
	if !ok {
		r.errs.Add(1)
	}
	r.mu.Lock()
	r.hist.RecordValue(max(d, 1))
	if !ok {
		r.by[key]++
	} else if r.sample == nil {
		r.sample = a.body
	}
	r.mu.Unlock()
}

// takeSample is the first successful answer's body, nil if none succeeded.
func (r *recorder) takeSample() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sample
}

// classify names an answer's outcome: the HTTP status and the APIv3 code, or for APIv2
// return_code and err_code; ok is a success.
func classify(a answer, err error, v2 bool) (string, bool) {
	if err != nil {
		return "transport error", false
	}
	if !v2 {
		if a.status/100 == 2 {
			return "", true
		}
		var e struct {
			Code string `json:"code"`
		}
		json.Unmarshal(a.body, &e)
		return fmt.Sprintf("%d %s", a.status, e.Code), false
	}
	if a.status != http.StatusOK {
		return fmt.Sprintf("%d", a.status), false
	}
	if rc := xmlField(a.body, "return_code"); rc != "SUCCESS" {
		return "return_code " + rc + " " + xmlField(a.body, "return_msg"), false
	}
	if xmlField(a.body, "result_code") != "SUCCESS" {
		return "err_code " + xmlField(a.body, "err_code"), false
	}
	return "", true
}

// xmlField reads <name><![CDATA[v]]></name> or <name>v</name> out of a flat answer,
// without an XML parser: the client's cost stays out of the measurement.
func xmlField(body []byte, name string) string {
	open := []byte("<" + name + ">")
	i := bytes.Index(body, open)
	if i < 0 {
		return ""
	}
	rest := body[i+len(open):]
	j := bytes.Index(rest, []byte("</"+name+">"))
	if j < 0 {
		return ""
	}
	v := rest[:j]
	v = bytes.TrimPrefix(v, []byte("<![CDATA["))
	return string(bytes.TrimSuffix(v, []byte("]]>")))
}

// run sends reqs to base for d, or until they run out, and reports the round.
func (l loop) run(ctx context.Context, c *http.Client, base string, reqs []*request, d time.Duration, rec *recorder, progress io.Writer, label string) Round {
	start := time.Now()
	end := start.Add(d)
	stop := make(chan struct{})
	var pwg sync.WaitGroup
	pwg.Go(func() { showProgress(progress, label, rec, start, stop) })
	var exhausted bool
	if l.rate > 0 {
		exhausted = l.open(ctx, c, base, reqs, start, end, rec)
	} else {
		exhausted = l.closed(ctx, c, base, reqs, end, rec)
	}
	elapsed := time.Since(start)
	close(stop)
	pwg.Wait()
	r := Round{
		Requests: rec.count.Load(), Errors: rec.errs.Load(), Seconds: elapsed.Seconds(),
		PoolSize: len(reqs), PoolExhausted: exhausted, Latency: latency(rec.hist),
	}
	r.Throughput = float64(r.Requests) / r.Seconds
	if len(rec.by) > 0 {
		r.ErrorsBy = rec.by
	}
	return r
}

func (l loop) closed(ctx context.Context, c *http.Client, base string, reqs []*request, end time.Time, rec *recorder) bool {
	var next atomic.Int64
	var exhausted atomic.Bool
	var wg sync.WaitGroup
	for range l.conc {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(end) {
				i := next.Add(1) - 1
				if i >= int64(len(reqs)) {
					exhausted.Store(true)
					return
				}
				t := time.Now()
				a, err := send(ctx, c, base, reqs[i])
				rec.record(t, a, err)
			}
		})
	}
	wg.Wait()
	return exhausted.Load()
}

// open sends request i at start + i/rate whether or not earlier ones were answered, and
// measures its latency from that scheduled time: a stalled server shows as latency
// instead of as requests never sent (coordinated omission).
func (l loop) open(ctx context.Context, c *http.Client, base string, reqs []*request, start, end time.Time, rec *recorder) bool {
	interval := time.Duration(float64(time.Second) / l.rate)
	inflight := make(chan struct{}, l.maxInflight)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; ctx.Err() == nil; i++ {
		at := start.Add(time.Duration(i) * interval)
		if !at.Before(end) {
			return false
		}
		if i >= len(reqs) {
			return true
		}
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		inflight <- struct{}{}
		wg.Go(func() {
			a, err := send(ctx, c, base, reqs[i])
			rec.record(at, a, err)
			<-inflight
		})
	}
	return false
}

func showProgress(w io.Writer, label string, rec *recorder, start time.Time, stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	line := func() {
		n := rec.count.Load()
		fmt.Fprintf(w, "\r%s: %d requests, %.0f req/s, %d errors   ", label, n, float64(n)/time.Since(start).Seconds(), rec.errs.Load())
	}
	for {
		select {
		case <-stop:
			line()
			fmt.Fprintln(w)
			return
		case <-t.C:
			line()
		}
	}
}

func latency(h *hdrhistogram.Histogram) Latency {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latency{
		P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)), P99: ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()), Mean: h.Mean() / 1000,
	}
}
