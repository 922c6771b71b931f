// Package notify delivers the refund result notifications the outbox owes to merchants'
// notify_url, encrypted afresh for every attempt and retried on the schedule of their
// protocol until the merchant takes one or the schedule runs out: an APIv3 notification
// is a signed JSON POST that any 2xx takes
// (https://pay.weixin.qq.com/doc/v3/merchant/4012082053), a v2 one an unsigned XML POST
// that only a return_code SUCCESS answer takes
// (https://pay.weixin.qq.com/doc/v2/partner/4011989265).
// Delivery is at least once: a notification is leased while in hand, and a lease that
// runs out (a crash, a stop mid-delivery) makes it due again.
package notify

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// Faults can make a delivery count as failed. The notification is still sent; reason
// goes into the attempt's error.
type Faults interface {
	NotifyFault(n *pay.Notification) (reason string, failed bool)
}

// Config is what a Deliverer needs. Zero values get the defaults.
type Config struct {
	Service  *pay.Service
	Platform *identity.Platform
	Logger   *slog.Logger
	// Scale multiplies the retry schedule (0.001 turns 15 s into 15 ms) and the lease,
	// down to its floor; default 1.
	Scale float64
	// Workers bounds the deliveries in flight; default 16.
	Workers int
	// Timeout is how long a merchant has to answer; default 5 s
	// (https://pay.weixin.qq.com/doc/v3/merchant/4012082053, 通知规则).
	Timeout time.Duration
	// PerURL bounds the deliveries in flight to one notify_url, so that a slow or dead
	// endpoint holds at most that many workers; default 2.
	PerURL int
	// Faults, when not nil, is asked before every delivery.
	Faults Faults
	// Deny adds ranges notifications are not sent to, to DefaultDeny.
	Deny []netip.Prefix
	// Allow takes ranges out of the denied ones.
	Allow []netip.Prefix
}

// pollInterval is how often due notifications are looked for. It bounds the delay of a
// first attempt after the status change (within about a second) and of a
// retry made due by advancing the sandbox clock.
const pollInterval = 200 * time.Millisecond

// Deliverer delivers owed notifications on a bounded pool of workers.
type Deliverer struct {
	svc      *pay.Service
	platform *identity.Platform
	log      *slog.Logger
	scale    float64
	workers  int
	timeout  time.Duration
	perURL   int
	faults   Faults
	client   *http.Client
	wake     chan struct{}
	wg       sync.WaitGroup

	// mu guards the state below. A worker holds it from recording its attempt until the
	// notification leaves held, so that a claim never mistakes a retry that has just
	// become due for one still in hand.
	mu       sync.Mutex
	held     map[string]time.Time // claimed, not yet recorded (in flight or queued) → lease end
	inFlight int
	busy     map[string]int                 // deliveries in flight by URL
	queued   map[string][]*pay.Notification // claimed, waiting for a worker or their URL, by URL
}

// New returns a Deliverer; Run starts it.
func New(c Config) *Deliverer {
	d := &Deliverer{
		svc: c.Service, platform: c.Platform, log: c.Logger, scale: c.Scale,
		workers: c.Workers, timeout: c.Timeout, perURL: c.PerURL, faults: c.Faults,
		wake: make(chan struct{}, 1),
		held: map[string]time.Time{}, busy: map[string]int{}, queued: map[string][]*pay.Notification{},
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.scale <= 0 {
		d.scale = 1
	}
	if d.workers <= 0 {
		d.workers = 16
	}
	if d.timeout <= 0 {
		d.timeout = 5 * time.Second
	}
	if d.perURL <= 0 {
		d.perURL = 2
	}
	policy := Policy{Deny: append(slices.Clone(DefaultDeny), c.Deny...), Allow: c.Allow}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = d.perURL
	// A proxy would connect in our stead, out of the policy's sight.
	t.Proxy = nil
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: policy.control}).DialContext
	d.client = &http.Client{
		Transport: t,
		// A redirect is an answer that is not 2xx, so a failed delivery: notify_url is
		// called as configured, never somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return d
}

// leaseMargin is how much longer than the delivery timeout a lease lasts at least: time
// to build the request before the timeout starts and to record the attempt after it.
const leaseMargin = time.Second

// lease is how long, in business time, a claimed notification stays with this deliverer
// before it is due again, which is how soon one in hand at a crash is delivered again:
// twice the delivery timeout, scaled like the retries, but never so short that it runs
// out while a delivery may still be waiting for its answer.
func (d *Deliverer) lease() time.Duration {
	return max(time.Duration(float64(2*d.timeout)*d.scale), d.timeout+leaseMargin)
}

// Run delivers until ctx is done. Deliveries in flight then are abandoned unrecorded;
// their leases run out and they are delivered again by the next run.
func (d *Deliverer) Run(ctx context.Context) {
	defer d.client.CloseIdleConnections()
	defer d.wg.Wait()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if err := d.dispatch(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("claim notifications", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-d.wake:
		}
	}
}

// poke makes Run look for work now.
func (d *Deliverer) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// wakeAt pokes Run when a retry falls due before the next poll, so that a compressed
// schedule keeps its pace.
func (d *Deliverer) wakeAt(due time.Time) {
	if wait := due.Sub(d.svc.Clock().Now()); wait < pollInterval {
		time.AfterFunc(max(wait, 0), d.poke)
	}
}

// dispatch starts what is queued and has room, then claims due notifications for the
// free workers. A claimed notification whose URL is busy waits in memory rather than
// holding a worker, so one slow endpoint never delays the others.
func (d *Deliverer) dispatch(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.startQueued(ctx)
	free := d.workers - d.inFlight
	if free <= 0 {
		return nil
	}
	// Held notifications whose lease ran out (a long queue, an advanced clock) are due
	// again and come back in the claim; make room for them so they never crowd out new ones.
	now := d.svc.Clock().Now()
	expired := 0
	for _, until := range d.held {
		if !until.After(now) {
			expired++
		}
	}
	ns, err := d.svc.ClaimNotifications(ctx, free+expired, d.lease())
	if err != nil {
		return err
	}
	until := d.svc.Clock().Now().Add(d.lease())
	for _, n := range ns {
		_, again := d.held[n.ID]
		d.held[n.ID] = until
		switch {
		case again:
			// Already in hand; the claim only renewed the lease.
		case len(d.queued[n.URL]) == 0 && d.inFlight < d.workers && d.busy[n.URL] < d.perURL:
			d.start(ctx, n, false)
		default:
			d.queued[n.URL] = append(d.queued[n.URL], n)
		}
	}
	return nil
}

// startQueued starts queued notifications whose URL has room, while workers are free.
func (d *Deliverer) startQueued(ctx context.Context) {
	for url, q := range d.queued {
		for len(q) > 0 && d.inFlight < d.workers && d.busy[url] < d.perURL {
			d.start(ctx, q[0], true)
			q = q[1:]
		}
		if len(q) == 0 {
			delete(d.queued, url)
		} else {
			d.queued[url] = q
		}
	}
}

// start delivers n on a new worker; d.mu is held.
func (d *Deliverer) start(ctx context.Context, n *pay.Notification, waited bool) {
	d.inFlight++
	d.busy[n.URL]++
	d.wg.Add(1)
	go d.work(ctx, n, waited)
}

// release gives back n's worker and URL slot; d.mu is held.
func (d *Deliverer) release(n *pay.Notification) {
	delete(d.held, n.ID)
	d.inFlight--
	if d.busy[n.URL]--; d.busy[n.URL] <= 0 {
		delete(d.busy, n.URL)
	}
}

func (d *Deliverer) work(ctx context.Context, n *pay.Notification, waited bool) {
	defer d.wg.Done()
	defer d.poke() // a worker and maybe a URL slot are free
	if waited {
		// A re-send may have delivered it while it waited.
		fresh, err := d.svc.Notification(ctx, n.ID)
		if err != nil || fresh.Status != pay.NotifyPending {
			if err != nil && ctx.Err() == nil {
				d.log.Error("reread notification", "id", n.ID, "err", err)
			}
			d.mu.Lock()
			d.release(n)
			d.mu.Unlock()
			return
		}
		n = fresh
	}
	a, ok := d.attempt(ctx, n)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.release(n)
	if ctx.Err() != nil {
		return // stopping: abandoned, its lease brings it back
	}
	next, err := d.svc.RecordAttempt(ctx, n.ID, a, ok, d.scale)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("record notification attempt", "id", n.ID, "err", err)
		}
		return
	}
	if !ok {
		d.log.Info("notification not delivered", "id", n.ID, "url", n.URL, "attempt", next.Attempts,
			"status_code", a.StatusCode, "err", a.Error, "status", next.Status)
	}
	if next.Status == pay.NotifyPending {
		d.wakeAt(next.NextAttemptAt)
	}
}

// Resend delivers notification id now, whatever its status, and records the attempt: a
// success delivers even a FAILED notification; a failure moves a PENDING one along the
// schedule.
func (d *Deliverer) Resend(ctx context.Context, id string) (*pay.Attempt, *pay.Notification, error) {
	n, err := d.svc.Notification(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	a, ok := d.attempt(ctx, n)
	// The delivery happened: record it even if the caller has gone.
	n, err = d.svc.RecordAttempt(context.WithoutCancel(ctx), id, a, ok, d.scale)
	if err != nil {
		return nil, nil, err
	}
	a.NotificationID, a.Number = id, n.Attempts
	if n.Status == pay.NotifyPending {
		d.wakeAt(n.NextAttemptAt)
	}
	return &a, n, nil
}
