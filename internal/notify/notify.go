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
	// Workers bounds the deliveries in flight; default DefaultWorkers.
	Workers int
	// Timeout is how long a merchant has to answer; default 5 s
	// (https://pay.weixin.qq.com/doc/v3/merchant/4012082053, 通知规则).
	Timeout time.Duration
	// PerURL bounds the deliveries in flight to one notify_url, so that a slow or dead
	// endpoint holds at most that many workers; default DefaultPerURL.
	PerURL int
	// Faults, when not nil, is asked before every delivery.
	Faults Faults
	// Deny adds ranges notifications are not sent to, to DefaultDeny.
	Deny []netip.Prefix
	// Allow takes ranges out of the denied ones.
	Allow []netip.Prefix
	// Observe, when not nil, is told the outcome (Outcome*) and the latency of every
	// attempt made, for metrics.
	Observe func(outcome string, latency time.Duration)
}

// Pool defaults, from BenchmarkDeliver on 2 cores. A delivery spends most of its time
// waiting, for its merchant and then for the batch that records it, so the pool is many
// times the cores: CPU per delivery fell from 16 workers to 32 (bigger claims and record
// batches) and no further at 64. A quarter of the pool per URL lets one merchant's
// backlog use the cores while a dead endpoint holds only that quarter.
const (
	DefaultWorkers = 32
	DefaultPerURL  = 8
)

// Outcomes of a delivery attempt, as Config.Observe is told them.
const (
	OutcomeDelivered = "delivered" // taken: a 2xx within the timeout with the answer its protocol wants
	OutcomeRejected  = "rejected"  // answered but not taken: not a 2xx, or an answer its protocol refuses
	OutcomeError     = "error"     // no answer: not sent (no merchant, a refused address) or timed out
	OutcomeFault     = "fault"     // failed by a fault rule, whatever the answer
)

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
	observe  func(outcome string, latency time.Duration)
	client   *http.Client
	recorder *recorder
	wake     chan struct{}
	wg       sync.WaitGroup

	// mu guards the state below. It is never held across a store call or a delivery:
	// a slow database must not stall dispatch, nor a slow merchant the claims.
	mu       sync.Mutex
	held     map[string]*claim // claimed, not yet recorded (in flight or queued), by id
	inFlight int
	busy     map[string]int      // deliveries in flight by URL
	queued   map[string][]*claim // claimed, waiting for a worker or their URL, by URL
	// recorded is the attempt count of each notification whose worker recorded and
	// left since the current claim began: a claim read before that record is stale.
	recorded map[string]int
}

// claim is a notification in this deliverer's hands.
type claim struct {
	n       *pay.Notification // as claimed; n.Attempts tells this claim from a later one
	m       *pay.Merchant     // whose key encrypts n, read with the claim; nil if that failed
	until   time.Time         // lease end
	started bool              // on a worker, no longer queued
}

// New returns a Deliverer; Run starts it.
func New(c Config) *Deliverer {
	d := &Deliverer{
		svc: c.Service, platform: c.Platform, log: c.Logger, scale: c.Scale,
		workers: c.Workers, timeout: c.Timeout, perURL: c.PerURL, faults: c.Faults, observe: c.Observe,
		wake: make(chan struct{}, 1),
		held: map[string]*claim{}, busy: map[string]int{}, queued: map[string][]*claim{},
		recorded: map[string]int{},
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.observe == nil {
		d.observe = func(string, time.Duration) {}
	}
	if d.scale <= 0 {
		d.scale = 1
	}
	if d.workers <= 0 {
		d.workers = DefaultWorkers
	}
	if d.timeout <= 0 {
		d.timeout = 5 * time.Second
	}
	if d.perURL <= 0 {
		d.perURL = DefaultPerURL
	}
	d.recorder = newRecorder(d.svc, d.scale)
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
	d.wg.Go(func() { d.recorder.run(ctx) })
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	ticked := true
	for {
		if err := d.dispatch(ctx, ticked); err != nil && ctx.Err() == nil {
			d.log.Error("claim notifications", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			ticked = true
		case <-d.wake:
			ticked = false
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
	if wait := due.Sub(d.svc.Time.Clock().Now()); wait < pollInterval {
		time.AfterFunc(max(wait, 0), d.poke)
	}
}

// dispatch starts what is queued and has room, then claims due notifications for the
// free workers. A claimed notification whose URL is busy waits in memory rather than
// holding a worker, so one slow endpoint never delays the others.
//
// A claim is a write transaction, a commit to disk, and a commit costs more than a
// delivery: when poked by a worker that left, dispatch claims only once a good share of
// the pool is free and not spoken for by the queue, so that one claim serves many
// deliveries rather than one, and a busy URL's backlog is not claimed again and again
// only to wait. The poll (tick) claims for every free worker, queue or not, so a pool
// held by slow endpoints still takes other merchants' work within a poll interval.
func (d *Deliverer) dispatch(ctx context.Context, tick bool) error {
	free, expired, waiting, inFlight := d.room(ctx)
	if !tick {
		free -= waiting
		if inFlight > 0 && free < d.claimAt() {
			return nil
		}
	}
	if free <= 0 {
		return nil
	}
	// Workers only ever leave while the claim runs, and only dispatch starts them, so
	// the room counted above is there at least when the claim comes back.
	ns, err := d.svc.Notifications.Claim(ctx, free+expired, d.lease())
	if err != nil {
		return err
	}
	ms := d.merchants(ctx, ns)
	until := d.svc.Time.Clock().Now().Add(d.lease())
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range ns {
		d.take(ctx, n, ms[n.Mchid], until)
	}
	return nil
}

// merchants reads the merchants whose keys encrypt ns, each once: a read per claim
// rather than per delivery, as fresh as the claim, so a changed APIv3 key is used from
// the next claim on. One that cannot be read is left out; its deliveries read it again
// and record why they failed.
func (d *Deliverer) merchants(ctx context.Context, ns []*pay.Notification) map[string]*pay.Merchant {
	ms := map[string]*pay.Merchant{}
	for _, n := range ns {
		if _, ok := ms[n.Mchid]; ok {
			continue
		}
		m, err := d.svc.Merchants.Query(ctx, n.Mchid)
		if err != nil {
			m = nil
		}
		ms[n.Mchid] = m
	}
	return ms
}

// room starts what is queued and has room, and counts the free workers, the held
// notifications whose lease ran out, the queued ones and the deliveries in flight.
func (d *Deliverer) room(ctx context.Context) (free, expired, waiting, inFlight int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.startQueued(ctx)
	// A claim from here on reads every attempt recorded by a worker that has left.
	clear(d.recorded)
	free, inFlight = d.workers-d.inFlight, d.inFlight
	// Held notifications whose lease ran out (a long queue, an advanced clock) are due
	// again and come back in the claim; make room for them so they never crowd out new ones.
	now := d.svc.Time.Clock().Now()
	for _, c := range d.held {
		if !c.until.After(now) {
			expired++
		}
		if !c.started {
			waiting++
		}
	}
	return free, expired, waiting, inFlight
}

// claimAt is how many free workers a poke waits for before it claims.
func (d *Deliverer) claimAt() int {
	return max(1, d.workers/4)
}

// take puts a claimed notification in hand; d.mu is held.
func (d *Deliverer) take(ctx context.Context, n *pay.Notification, m *pay.Merchant, until time.Time) {
	// The same notification may still be in hand: its lease ran out, and the claim only
	// renewed it. Unless the claim came after an attempt was recorded (it counts more
	// attempts): then it is a retry that fell due while its worker was still finishing.
	// A claim read before the attempt its worker then recorded, and left, is stale.
	if r, ok := d.recorded[n.ID]; ok && n.Attempts < r {
		return
	}
	if c, ok := d.held[n.ID]; ok && (!c.started || n.Attempts <= c.n.Attempts) {
		c.until = until
		if !c.started {
			c.n, c.m = n, m
		}
		return
	}
	c := &claim{n: n, m: m, until: until}
	d.held[n.ID] = c
	if len(d.queued[n.URL]) == 0 && d.inFlight < d.workers && d.busy[n.URL] < d.perURL {
		d.start(ctx, c, false)
		return
	}
	d.queued[n.URL] = append(d.queued[n.URL], c)
}

// startQueued starts queued notifications whose URL has room, while workers are free;
// d.mu is held.
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

// start delivers c on a new worker; d.mu is held.
func (d *Deliverer) start(ctx context.Context, c *claim, waited bool) {
	c.started = true
	d.inFlight++
	d.busy[c.n.URL]++
	d.wg.Add(1)
	go d.work(ctx, c, waited)
}

// release gives back c's worker and URL slot; recorded is the notification's attempt
// count after the attempt its worker recorded, 0 when it recorded none.
func (d *Deliverer) release(c *claim, recorded int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if recorded > 0 {
		d.recorded[c.n.ID] = recorded
	}
	if d.held[c.n.ID] == c {
		delete(d.held, c.n.ID)
	}
	d.inFlight--
	if d.busy[c.n.URL]--; d.busy[c.n.URL] <= 0 {
		delete(d.busy, c.n.URL)
	}
}

func (d *Deliverer) work(ctx context.Context, c *claim, waited bool) {
	defer d.wg.Done()
	defer d.poke() // a worker and maybe a URL slot are free
	recorded := 0
	// Only once the attempt is recorded: see take.
	defer func() { d.release(c, recorded) }()
	n := c.n
	if waited {
		// A re-send may have delivered it while it waited.
		fresh, err := d.svc.Notifications.Query(ctx, n.ID)
		if err != nil || fresh.Status != pay.NotifyPending {
			if err != nil && ctx.Err() == nil {
				d.log.Error("reread notification", "id", n.ID, "err", err)
			}
			return
		}
		n = fresh
		d.mu.Lock()
		c.n = fresh // a re-send's failed attempt is not a later claim's
		d.mu.Unlock()
	}
	a, ok := d.attempt(ctx, n, c.m)
	if ctx.Err() != nil {
		return // stopping: abandoned, its lease brings it back
	}
	next, err := d.recorder.record(ctx, pay.AttemptRecord{ID: n.ID, Attempt: a, OK: ok})
	if err != nil || next == nil {
		if err != nil && ctx.Err() == nil {
			d.log.Error("record notification attempt", "id", n.ID, "err", err)
		}
		return
	}
	recorded = next.Attempts
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
	n, err := d.svc.Notifications.Query(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	a, ok := d.attempt(ctx, n, nil)
	// The delivery happened: record it even if the caller has gone.
	n, err = d.svc.Notifications.RecordAttempt(context.WithoutCancel(ctx), id, a, ok, d.scale)
	if err != nil {
		return nil, nil, err
	}
	a.NotificationID, a.Number = id, n.Attempts
	if n.Status == pay.NotifyPending {
		d.wakeAt(n.NextAttemptAt)
	}
	return &a, n, nil
}
