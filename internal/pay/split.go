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
func split(t *Order, active []*Refund, amount int64) (payer int64, promos []PromotionRefund) {
	var refunded, payerSoFar int64
	promoSoFar := make([]int64, len(t.Promotions))
	for _, r := range active {
		refunded += r.Amount.Refund
		payerSoFar += r.Amount.PayerRefund
		for _, p := range r.Promotions {
			for i, tp := range t.Promotions {
				if tp.PromotionID == p.PromotionID {
					promoSoFar[i] += p.RefundAmount
				}
			}
		}
	}
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
