package pay

import (
	"context"
	"time"
)

// NonceTx is the part of Tx that remembers the nonces of signed requests, so that nodes
// sharing one store refuse a request replayed on any of them.
type NonceTx interface {
	// InsertNonce records mchid's nonce until expires. It returns ErrDuplicate when the
	// pair is already recorded with an expiry after now (a live duplicate); a recorded
	// pair whose expiry is not after now is replaced, as if it were new. Two concurrent
	// inserts of one live pair: exactly one succeeds.
	InsertNonce(ctx context.Context, mchid, nonce string, now, expires time.Time) error
	// DeleteExpiredNonces deletes up to limit nonces whose expiry is not after now and
	// returns how many it deleted, so that cleaning up is bounded work per call.
	DeleteExpiredNonces(ctx context.Context, now time.Time, limit int) (int, error)
}

// FaultRule is a fault rule as the store keeps it: what it matches on and does,
// opaque here and owned by package fault, and the counters every node consumes.
type FaultRule struct {
	// ID is set by InsertFaultRule: larger than every id given before, so that
	// ordering by it is ordering by age.
	ID int64
	// API is the endpoint name the rule matches.
	API string
	// Spec is the rest of the rule as package fault encodes it; the store keeps it as
	// it is given.
	Spec string
	// Fired counts the uses consumed; Remaining is how many are left, -1 for no end.
	Fired     int
	Remaining int
	// Draws counts the random draws made for a probability rule.
	Draws int64
}

// FaultTx is the part of Tx that keeps the sandbox's fault rules and the marks of magic
// numbers that act once. The counters change by single conditional UPDATEs, so each use
// of a rule is consumed exactly once, whatever node asks.
type FaultTx interface {
	// InsertFaultRule adds r with Fired and Draws 0, setting r.ID.
	InsertFaultRule(ctx context.Context, r *FaultRule) error
	// FaultRules lists the rules oldest first: every rule when api is "", else only
	// api's live rules (Remaining not 0).
	FaultRules(ctx context.Context, api string) ([]*FaultRule, error)
	// FireFaultRule consumes one use of rule id: Fired grows by 1 and Remaining, unless
	// -1, shrinks by 1, in one conditional UPDATE. It returns the rule as updated, or
	// ErrNotFound when the rule is gone or spent (Remaining 0).
	FireFaultRule(ctx context.Context, id int64) (*FaultRule, error)
	// DrawFaultRule counts one draw of live rule id and returns the count after it
	// (1 for the first); ErrNotFound when the rule is gone or spent.
	DrawFaultRule(ctx context.Context, id int64) (int64, error)
	// DeleteFaultRule deletes rule id; ErrNotFound when there is none.
	DeleteFaultRule(ctx context.Context, id int64) error
	// DeleteFaultRules deletes every rule; marks stay.
	DeleteFaultRules(ctx context.Context) error
	// InsertFaultMark records key; ErrDuplicate when it is already recorded.
	InsertFaultMark(ctx context.Context, key string) error
}
