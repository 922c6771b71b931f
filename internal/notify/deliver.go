package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

const (
	// maxExcerpt is how much of a merchant's answer an attempt keeps.
	maxExcerpt = 512
	// maxReply is how much of an answer is read, and checked when the protocol reads it.
	maxReply  = 64 << 10
	userAgent = "tuikuan-notify/1 (WeChat Pay sandbox)"
)

// envelope is the notification body
// (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter7_6_3.shtml; wechatpay-go
// core/notify.Request).
type envelope struct {
	ID           string            `json:"id"`
	CreateTime   string            `json:"create_time"`
	ResourceType string            `json:"resource_type"`
	EventType    string            `json:"event_type"`
	Summary      string            `json:"summary"`
	Resource     wxcrypto.Resource `json:"resource"`
}

// attempt delivers n once and says whether it counts as delivered: a 2xx within the
// timeout, with the answer its protocol wants, that no fault rule fails. m is the
// merchant whose key encrypts n, nil to read it now.
func (d *Deliverer) attempt(ctx context.Context, n *pay.Notification, m *pay.Merchant) (pay.Attempt, bool) {
	a, outcome := d.try(ctx, n, m)
	// An attempt cut short by the server stopping is abandoned, not made.
	if ctx.Err() == nil {
		d.observe(outcome, a.Latency)
	}
	return a, outcome == OutcomeDelivered
}

// try is attempt, the delivery's outcome in words.
func (d *Deliverer) try(ctx context.Context, n *pay.Notification, m *pay.Merchant) (pay.Attempt, string) {
	a := pay.Attempt{At: time.Now()}
	req, check, err := d.request(ctx, n, m)
	if err != nil {
		a.Error = err.Error()
		return a, OutcomeError
	}
	reason, faulted := "", false
	if d.faults != nil {
		reason, faulted = d.faults.NotifyFault(n)
	}
	// The timeout runs from the moment the request leaves: building it is our time,
	// not the merchant's.
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	a.At = time.Now()
	status, reply, err := d.send(req.WithContext(ctx))
	a.Latency = time.Since(a.At)
	a.StatusCode, a.Response = status, excerpt(reply)
	ok := err == nil && status/100 == 2
	var errs []string
	if faulted {
		errs = append(errs, reason)
	}
	if err != nil {
		errs = append(errs, d.describe(err))
	}
	if ok && check != nil {
		if err := check(reply); err != nil {
			errs = append(errs, err.Error())
			ok = false
		}
	}
	a.Error = strings.Join(errs, "; ")
	switch {
	case faulted:
		return a, OutcomeFault
	case err != nil:
		return a, OutcomeError
	case !ok:
		return a, OutcomeRejected
	}
	return a, OutcomeDelivered
}

// wire is a notification as its protocol puts it on the wire.
type wire struct {
	body   []byte
	header http.Header
	// check, when set, says why an answer with a 2xx status still does not count as
	// received; without it any 2xx does.
	check func(reply []byte) error
}

// request builds one delivery of n, afresh for every attempt.
func (d *Deliverer) request(ctx context.Context, n *pay.Notification, m *pay.Merchant) (*http.Request, func([]byte) error, error) {
	// n.Mchid is whose key encrypts the notification: the partner for a partner's
	// refund of its sub-merchant
	// (https://pay.weixin.qq.com/doc/v3/merchant/4012082053,
	// https://pay.weixin.qq.com/doc/v2/partner/4011989265).
	var err error
	if m == nil {
		if m, err = d.svc.Merchants.Query(ctx, n.Mchid); err != nil {
			return nil, nil, fmt.Errorf("find merchant %s: %w", n.Mchid, err)
		}
	}
	var w wire
	switch n.Protocol {
	case pay.ProtocolV3:
		w, err = d.encodeV3(m, n)
	case pay.ProtocolV2:
		w, err = encodeV2(m, n)
	default:
		err = fmt.Errorf("notification protocol %q unknown", n.Protocol)
	}
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(w.body))
	if err != nil {
		return nil, nil, fmt.Errorf("notify_url %q: %w", n.URL, err)
	}
	req.Header = w.header
	req.Header.Set("User-Agent", userAgent)
	return req, w.check, nil
}

// encodeV3 is an APIv3 notification (https://pay.weixin.qq.com/doc/v3/merchant/4012082053):
// the resource encrypted afresh under the merchant's APIv3 key, and the headers signed
// with the real time of this attempt: wechatpay-go refuses a notification whose timestamp
// is 5 minutes old (docs/wire.md#notifications), which a retry's first signature would
// be. Any 2xx receives it.
func (d *Deliverer) encodeV3(m *pay.Merchant, n *pay.Notification) (wire, error) {
	// The AAD is the original type, "refund" or "complaint": the refund doc's example
	// has "", sample code in the wild "refund"; both decrypt, and it must be present
	// (docs/wire.md#notifications: Java calls getBytes on it).
	plain, err := plaintextV3(n)
	if err != nil {
		return wire{}, err
	}
	res, err := wxcrypto.Encrypt(m.APIv3Key, n.OriginalType, plain)
	if err != nil {
		return wire{}, fmt.Errorf("encrypt resource for %s: %w", n.Mchid, err)
	}
	res.OriginalType = n.OriginalType
	body, err := json.Marshal(envelope{
		ID:           n.ID,
		CreateTime:   n.CreateTime.In(pay.Beijing).Format(time.RFC3339),
		ResourceType: "encrypt-resource",
		EventType:    n.EventType,
		Summary:      n.Summary,
		Resource:     res,
	})
	if err != nil {
		return wire{}, fmt.Errorf("encode notification: %w", err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if err := d.platform.SignHeaders(h, d.platform.SerialFor(m.PlatformKeyMode), body, time.Now()); err != nil {
		return wire{}, fmt.Errorf("sign notification: %w", err)
	}
	return wire{body: body, header: h}, nil
}

// send posts req and returns the status and the answer, up to maxReply bytes of it.
func (d *Deliverer) send(req *http.Request) (int, []byte, error) {
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	// An answer cut short does not undo its status; reading to the end (within reason)
	// lets the connection be reused for the next one.
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	return resp.StatusCode, reply, nil
}

// excerpt is the start of an answer, for the tester's eyes.
func excerpt(reply []byte) string {
	return strings.ToValidUTF8(string(reply[:min(len(reply), maxExcerpt)]), "")
}

// describe words a transport error for the attempt list.
func (d *Deliverer) describe(err error) string {
	if refused, ok := errors.AsType[*RefusedError](err); ok {
		return "notify_url refused: " + refused.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %v", d.timeout)
	}
	return err.Error()
}
