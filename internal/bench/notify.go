package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Notify is the notify scenario's figures: how fast settled refunds' notifications reach
// the receivers.
type Notify struct {
	Receivers int           `json:"receivers"`
	Rounds    []NotifyRound `json:"rounds"`
	// Rate and ReceiverRate are the rounds' medians.
	Rate         float64 `json:"median_deliveries_per_second"`
	ReceiverRate float64 `json:"median_receiver_deliveries_per_second"`
}

// NotifyRound is one batch of refunds settled at once.
type NotifyRound struct {
	Round      int `json:"round"`
	Refunds    int `json:"refunds"`
	Delivered  int `json:"delivered"`  // refunds notified at least once
	Deliveries int `json:"deliveries"` // every POST the receivers got
	Duplicates int `json:"duplicates"` // deliveries beyond the first of a refund
	Missing    int `json:"missing"`    // refunds not notified by the timeout
	// Seconds runs from the first settle call to the last first delivery.
	Seconds       float64 `json:"seconds"`
	SettleSeconds float64 `json:"settle_seconds"` // the settle calls alone
	// Rate is Delivered ÷ Seconds: settling and delivering together.
	Rate float64 `json:"deliveries_per_second"`
	// ReceiverRate is Delivered over the receivers' window, first delivery to last: the
	// rate they saw. Both are bounded by the settle calls when those are slower.
	ReceiverRate float64 `json:"receiver_deliveries_per_second"`
}

// receivers are local notification endpoints that count what reaches them: refund i is
// notified at /n/i, so that a second delivery of it is seen as a duplicate.
type receivers struct {
	addrs   []string
	servers []*http.Server
	mu      sync.Mutex
	seen    map[int]int
	first   int // refunds delivered at least once
	want    int
	start   time.Time // the first delivery
	last    time.Time // the last first delivery
	all     chan struct{}
}

func startReceivers(n int) (*receivers, error) {
	rs := &receivers{seen: map[int]int{}}
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			rs.close()
			return nil, err
		}
		srv := &http.Server{Handler: rs, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		rs.addrs = append(rs.addrs, ln.Addr().String())
		rs.servers = append(rs.servers, srv)
	}
	return rs, nil
}

// expect resets the counts for a batch of n refunds.
func (rs *receivers) expect(n int) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.seen, rs.first, rs.want, rs.all = map[int]int{}, 0, n, make(chan struct{})
}

// ServeHTTP answers 200 to anything: an APIv3 receiver need not verify for the count.
func (rs *receivers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/n/"))
	if err == nil {
		rs.mu.Lock()
		rs.seen[i]++
		if rs.seen[i] == 1 {
			rs.first++
			rs.last = time.Now()
			if rs.first == 1 {
				rs.start = rs.last
			}
			if rs.first == rs.want {
				close(rs.all)
			}
		}
		rs.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

func (rs *receivers) close() {
	for _, s := range rs.servers {
		s.Close()
	}
}

// runNotify applies for cfg.Notifications refunds with notify_url round-robin over the
// receivers, settles them all SUCCESS through the sandbox, and times the deliveries.
func runNotify(ctx context.Context, e *env, cfg Config, stderr io.Writer) (*Result, error) {
	m, err := e.merchant("direct")
	if err != nil {
		return nil, err
	}
	s, err := newSigner(e.dir, m)
	if err != nil {
		return nil, err
	}
	a := &apply{e: e, s: s, payer: m.Mchid}
	rs, err := startReceivers(cfg.Receivers)
	if err != nil {
		return nil, fmt.Errorf("receivers: %w", err)
	}
	defer rs.close()
	res := &Result{Scenario: "notify", Loop: "closed", Concurrency: cfg.Concurrency, Notify: &Notify{Receivers: cfg.Receivers}}
	var rates, seen []float64
	for round := 1; round <= cfg.Rounds; round++ {
		nr, err := notifyRound(ctx, e, cfg, a, rs, stderr)
		if err != nil {
			return nil, err
		}
		nr.Round = round
		res.Notify.Rounds = append(res.Notify.Rounds, nr)
		rates, seen = append(rates, nr.Rate), append(seen, nr.ReceiverRate)
	}
	res.Notify.Rate, res.Notify.ReceiverRate = median(rates), median(seen)
	return res, nil
}

func notifyRound(ctx context.Context, e *env, cfg Config, a *apply, rs *receivers, stderr io.Writer) (NotifyRound, error) {
	n := cfg.Notifications
	refunds, err := a.refunds(ctx, n, func(i int) string { return fmt.Sprintf("http://%s/n/%d", rs.addrs[i%len(rs.addrs)], i) })
	if err != nil {
		return NotifyRound{}, err
	}
	rs.expect(n)
	start := time.Now()
	err = each(ctx, n, cfg.Concurrency, func(i int) error {
		return e.sandbox(ctx, "POST", "/sandbox/v1/refunds/"+refunds[i].RefundID+"/settle", map[string]string{"status": "SUCCESS"}, nil)
	})
	if err != nil {
		return NotifyRound{}, fmt.Errorf("settle: %w", err)
	}
	settled := time.Since(start)
	timeout := time.NewTimer(cfg.NotifyTimeout)
	defer timeout.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
wait:
	for {
		select {
		case <-rs.all:
			break wait
		case <-timeout.C:
			break wait
		case <-ctx.Done():
			return NotifyRound{}, ctx.Err()
		case <-tick.C:
			rs.mu.Lock()
			fmt.Fprintf(stderr, "\rnotify: %d of %d delivered   ", rs.first, n)
			rs.mu.Unlock()
		}
	}
	// Give duplicates that were already on their way a moment to land.
	time.Sleep(200 * time.Millisecond)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	nr := NotifyRound{Refunds: n, Delivered: rs.first, Missing: n - rs.first, SettleSeconds: settled.Seconds()}
	for _, c := range rs.seen {
		nr.Deliveries += c
		nr.Duplicates += c - 1
	}
	if rs.first > 0 {
		nr.Seconds = rs.last.Sub(start).Seconds()
		nr.Rate = float64(rs.first) / nr.Seconds
		if w := rs.last.Sub(rs.start).Seconds(); w > 0 {
			nr.ReceiverRate = float64(rs.first) / w
		}
	}
	fmt.Fprintf(stderr, "\rnotify: %d of %d delivered in %.2fs   \n", rs.first, n, nr.Seconds)
	return nr, nil
}

func writeNotifyText(w io.Writer, res *Result) {
	fmt.Fprintf(w, "notify (%d receivers, settle concurrency %d)\n", res.Notify.Receivers, res.Concurrency)
	fmt.Fprintf(w, "  %5s %7s %9s %10s %10s %7s %8s %8s %10s %10s\n", "round", "refunds", "delivered", "deliveries", "duplicates", "missing", "seconds", "settle s", "deliv/s", "at recv/s")
	for _, r := range res.Notify.Rounds {
		fmt.Fprintf(w, "  %5d %7d %9d %10d %10d %7d %8.2f %8.2f %10.1f %10.1f\n", r.Round, r.Refunds, r.Delivered, r.Deliveries, r.Duplicates, r.Missing, r.Seconds, r.SettleSeconds, r.Rate, r.ReceiverRate)
	}
	fmt.Fprintf(w, "  median deliveries/s: %.1f from the first settle call, %.1f over the receivers' window\n", res.Notify.Rate, res.Notify.ReceiverRate)
}
