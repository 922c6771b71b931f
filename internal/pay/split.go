package pay

import "math/big"

// split divides a new refund of amount between the payer and the promotions of the
// original payment, in proportion: payer_refund = round(refund × payer_total / total)
// (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, "退给用户 = 退款金额 × (实付 ÷ 总额)，四舍五入"), the rest over the
// promotions in proportion to their amounts, the last one taking the rounding rest.
//
// Shares are computed on cumulative amounts (what all active refunds of the order will
// have returned after this one, minus what they returned before), so that a series of
// partial refunds never returns more to the payer than payer_total or more to a coupon
// than its face value, and a full refund returns each exactly.
//
// What the active refunds returned before comes from the order's running totals, so
// splitting reads no refund: t.Refunded is the sum of the active refunds' amounts (the
// first rule of money keeps it so) and so is the amount side of so.
func split(t *Order, so RefundSplit, amount int64) (payer int64, promos []PromotionRefund) {
	refunded, payerSoFar, promoSoFar := t.Refunded, so.Payer, so.Promotions
	discountTotal := t.Total - t.PayerTotal

	payer = mulDivRound(refunded+amount, t.PayerTotal, t.Total) - payerSoFar
	// Clamp to what is left on each side; refund ≤ refundable guarantees both fit.
	payer = clamp(payer, amount-(discountTotal-(refunded-payerSoFar)), t.PayerTotal-payerSoFar)
	payer = clamp(payer, 0, amount)
	discount := amount - payer
	if len(t.Promotions) == 0 {
		return payer, nil
	}

	weights := make([]int64, len(t.Promotions))
	for i, p := range t.Promotions {
		weights[i] = p.Amount
	}
	shares := apportion(discount, weights, promoSoFar)
	promos = make([]PromotionRefund, len(t.Promotions))
	for i, p := range t.Promotions {
		promos[i] = PromotionRefund{Promotion: p, RefundAmount: shares[i]}
	}
	return payer, promos
}

// RefundSplit is how an order's active (not CLOSED) refunds divided what they returned
// so far: Payer to the payer, Promotions[i] to the order's promotion i. Invariant, kept
// in the transaction that changes the set of active refunds (Apply adds a refund,
// closing one subtracts it): it equals splitOf(t, the active refunds), so split on it
// gives, amount for amount and fen for fen, what split on the refunds themselves gave
// before the totals were kept.
type RefundSplit struct {
	Payer      int64
	Promotions []int64 // parallel to Order.Promotions
}

// splitOf sums what the refunds in active gave back, per side. A refund's promotion
// counts towards every promotion of the order with its id, as split always matched them.
func splitOf(t *Order, active []*Refund) RefundSplit {
	so := RefundSplit{Promotions: make([]int64, len(t.Promotions))}
	for _, r := range active {
		so.add(t, r, 1)
	}
	return so
}

// add counts r's split in (sign 1) or out (sign -1) of the totals.
func (so *RefundSplit) add(t *Order, r *Refund, sign int64) {
	so.Payer += sign * r.Amount.PayerRefund
	for _, p := range r.Promotions {
		for i, tp := range t.Promotions {
			if tp.PromotionID == p.PromotionID {
				so.Promotions[i] += sign * p.RefundAmount
			}
		}
	}
}

// knownSplit reports the order's running totals, and whether it has them: an order
// stored before they were kept has none until its next apply computes them, unless it
// never had a refund, when they are zero.
func (t *Order) knownSplit() (RefundSplit, bool) {
	if t.Split != nil && len(t.Split.Promotions) == len(t.Promotions) {
		return *t.Split, true
	}
	if t.RefundCount == 0 {
		return RefundSplit{Promotions: make([]int64, len(t.Promotions))}, true
	}
	return RefundSplit{}, false
}

// countIn adds a new refund r, split on so (the totals before it), to t's running totals.
func (t *Order) countIn(r *Refund, so RefundSplit) {
	// so is a copy, but its Promotions may be t.Split's own; t is the transaction's, so
	// adding in place is safe.
	so.add(t, r, 1)
	t.Split = &so
	t.Refunded += r.Amount.Refund
	t.RefundCount++
}

// countOut takes r, being CLOSED, out of t's running totals. An order without split
// totals yet keeps none: its next apply computes them from its refunds, r CLOSED by then.
func (t *Order) countOut(r *Refund) {
	t.Refunded -= r.Amount.Refund
	if t.Split != nil && len(t.Split.Promotions) == len(t.Promotions) {
		so := *t.Split
		so.add(t, r, -1)
		t.Split = &so
	}
}

// apportion divides amount over buckets of capacity weights[i] that already hold soFar[i],
// in proportion to the weights on cumulative totals, the last bucket taking the rest.
// No share is negative and no bucket is filled past its weight.
func apportion(amount int64, weights, soFar []int64) []int64 {
	var weightSum, held int64
	for i := range weights {
		weightSum += weights[i]
		held += soFar[i]
	}
	shares := make([]int64, len(weights))
	if weightSum == 0 {
		return shares
	}
	cumulative := held + amount
	var given int64
	for i := range weights[:len(weights)-1] {
		s := mulDivRound(cumulative, weights[i], weightSum) - soFar[i]
		shares[i] = clamp(s, 0, weights[i]-soFar[i])
		shares[i] = clamp(shares[i], 0, amount-given)
		given += shares[i]
	}
	last := len(weights) - 1
	shares[last] = amount - given
	// If rounding left the last bucket over its capacity, move the excess back to the
	// others, first come first served.
	over := shares[last] - (weights[last] - soFar[last])
	for i := 0; over > 0 && i < last; i++ {
		room := weights[i] - soFar[i] - shares[i]
		move := min(room, over)
		shares[i] += move
		shares[last] -= move
		over -= move
	}
	return shares
}

// mulDivRound is round(a × b / c), half up, without overflow, for a, b ≥ 0 and c > 0
// (amounts are never negative).
func mulDivRound(a, b, c int64) int64 {
	if c == 0 {
		return 0
	}
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	n.Mul(n, big.NewInt(2))
	n.Add(n, big.NewInt(c))
	n.Quo(n, new(big.Int).Mul(big.NewInt(c), big.NewInt(2)))
	return n.Int64()
}

func clamp(v, lo, hi int64) int64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
