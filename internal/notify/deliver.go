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

	"github.com/tuikuan/tuikuan/internal/refund"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

const (
	// associatedData is the AAD of refund resources. The refund doc's example has "",
	// sample code in the wild "refund"; both decrypt, and it must be present
	// (protocol.md §4.1: Java calls getBytes on it).
	associatedData = "refund"
	// maxExcerpt is how much of a merchant's answer an attempt keeps.
	maxExcerpt = 512
	userAgent  = "tuikuan-notify/1 (WeChat Pay sandbox)"
)

// envelope is the notification body (protocol.md §4.1, wechatpay-go core/notify.Request).
type envelope struct {
	ID           string            `json:"id"`
	CreateTime   string            `json:"create_time"`
	ResourceType string            `json:"resource_type"`
	EventType    string            `json:"event_type"`
	Summary      string            `json:"summary"`
	Resource     wxcrypto.Resource `json:"resource"`
}

// attempt delivers n once and says whether it counts as delivered: a 2xx within the
// timeout that no fault rule fails.
func (d *Deliverer) attempt(ctx context.Context, n *refund.Notification) (refund.Attempt, bool) {
	a := refund.Attempt{At: time.Now()}
	req, err := d.request(ctx, n)
	if err != nil {
		a.Error = err.Error()
		return a, false
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
	a.StatusCode, a.Response, err = d.send(req.WithContext(ctx))
	a.Latency = time.Since(a.At)
	var errs []string
	if faulted {
		errs = append(errs, reason)
	}
	if err != nil {
		errs = append(errs, d.describe(err))
	}
	a.Error = strings.Join(errs, "; ")
	return a, err == nil && !faulted && a.StatusCode/100 == 2
}

// request builds one delivery of n. The resource is encrypted afresh and the headers
// signed with the real time of this attempt: wechatpay-go refuses a notification whose
// timestamp is 5 minutes old (protocol.md §4.2), which a retry's first signature would be.
func (d *Deliverer) request(ctx context.Context, n *refund.Notification) (*http.Request, error) {
	// n.Mchid is whose key the resource is sealed under: the partner for a partner's
	// refund of its sub-merchant (protocol.md §4.3).
	m, err := d.svc.Merchant(ctx, n.Mchid)
	if err != nil {
		return nil, fmt.Errorf("find merchant %s: %w", n.Mchid, err)
	}
	res, err := wxcrypto.Encrypt(m.APIv3Key, associatedData, []byte(n.Resource))
	if err != nil {
		return nil, fmt.Errorf("encrypt resource for %s: %w", n.Mchid, err)
	}
	res.OriginalType = n.OriginalType
	body, err := json.Marshal(envelope{
		ID:           n.ID,
		CreateTime:   n.CreateTime.In(refund.Beijing).Format(time.RFC3339),
		ResourceType: "encrypt-resource",
		EventType:    n.EventType,
		Summary:      n.Summary,
		Resource:     res,
	})
	if err != nil {
		return nil, fmt.Errorf("encode notification: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("notify_url %q: %w", n.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	serial := d.platform.PublicKeyID
	if m.NotifyMode == refund.NotifyModeCertificate {
		serial = d.platform.CertSerial
	}
	if err := d.platform.SignHeaders(req.Header, serial, body, time.Now()); err != nil {
		return nil, fmt.Errorf("sign notification: %w", err)
	}
	return req, nil
}

// send posts req and returns the status and the start of the answer.
func (d *Deliverer) send(req *http.Request) (int, string, error) {
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	// The excerpt is for the tester's eyes; an answer cut short does not undo its status.
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxExcerpt))
	// Read a little further so that the connection can be reused for the next one.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, strings.ToValidUTF8(string(head), ""), nil
}

// describe words a transport error for the attempt list.
func (d *Deliverer) describe(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %v", d.timeout)
	}
	return err.Error()
}
