package jsonapi

import (
	"context"
	"net/http"
	"time"
)

// Exchange is what the listener learns about one request while it is served: Common
// starts it, the API handlers fill in what only they know (which API, which merchant,
// what code the answer carries), and whatever wraps them — the request journal,
// metrics — reads it once the handler returns.
//
// An Exchange belongs to one request and is filled in by the goroutine serving it.
type Exchange struct {
	RequestID string
	Node      string
	Start     time.Time
	Method    string
	Target    string // the raw request target, as received

	API   string // the endpoint name (package endpoint); "" when no API matched
	Mchid string // the merchant the request named, "" when it named none
	Code  string // the error code the answer carries; "" for a success

	// Diagnosis explains a refused APIv3 signature; nil for every other answer.
	Diagnosis *Diagnosis
}

// Diagnosis is the account of a refused request signature: the string-to-sign the server
// built beside what the request's Authorization header carried, and the likely cause in
// words. It holds no signature and no key, only their lengths and serials.
type Diagnosis struct {
	// Cause names the likely cause in a sentence, e.g. that the body changed after
	// signing, or that the request was signed with a key other than the certificate's.
	Cause string `json:"cause"`
	// Reason is the short machine form of the cause: unknown_mchid, unknown_serial,
	// wrong_key, message_mismatch, url_escaping, clock_skew, nonce_replayed,
	// certificate_expired, malformed_header (docs/wire.md#signature-diagnosis).
	Reason string `json:"reason"`

	Method     string   `json:"method"`
	URL        string   `json:"url"`         // the target the server verified against
	Timestamp  string   `json:"timestamp"`   // as the request carried it
	ServerTime int64    `json:"server_time"` // the server's time, seconds since 1970
	Nonce      string   `json:"nonce"`
	Mchid      string   `json:"mchid"`
	Serial     string   `json:"serial_no"`         // the serial the request named
	CertSerial string   `json:"cert_serial_no"`    // the serial of the merchant's certificate, "" when unknown
	SignLength int      `json:"signature_length"`  // length of the base64 signature the request carried
	Signed     string   `json:"string_to_sign"`    // the message the server built, body capped
	BodyLength int      `json:"body_length"`       // the body's length in bytes
	Matched    string   `json:"matched,omitempty"` // the message the signature was made over, body capped, when it is a usual mistake
	Tried      []string `json:"tried,omitempty"`   // other targets the server tried
}

type exchangeKey struct{}

// WithExchange returns ctx carrying e.
func WithExchange(ctx context.Context, e *Exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, e)
}

// ExchangeOf returns the exchange of r's request; outside Common (a handler under test
// alone) a fresh one that nothing reads, so that callers never check for nil.
func ExchangeOf(r *http.Request) *Exchange {
	return ExchangeFrom(r.Context())
}

// ExchangeFrom is ExchangeOf for a context.
func ExchangeFrom(ctx context.Context) *Exchange {
	if e, ok := ctx.Value(exchangeKey{}).(*Exchange); ok {
		return e
	}
	return &Exchange{}
}
