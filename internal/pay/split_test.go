package pay

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// order returns a paid transaction of total whose promotions are coupons of the given
// amounts, as CreateOrder builds it.
func order(total int64, promotions ...int64) *Order {
	t := &Order{ID: "4200000000202506010000000001", Total: total, PayerTotal: total}
	for i, a := range promotions {
		t.Promotions = append(t.Promotions, Promotion{
			PromotionID: fmt.Sprintf("P%d", i+1), Scope: "GLOBAL", Type: "COUPON", Amount: a,
		})
		t.PayerTotal -= a
	}
	return t
}

// shares lists the RefundAmount of each promotion refund.
func shares(ps []PromotionRefund) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.RefundAmount
	}
	return out
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name       string
		order      *Order
		active     []int64 // earlier refunds, each split in turn
		amount     int64
		wantPayer  int64
		wantShares []int64
	}{
		// total 1000 with one 200 coupon: the payer paid 800, so half the order back is
		// 400 to the payer and 100 to the coupon.
		{name: "WorkedExample", order: order(1000, 200), amount: 500, wantPayer: 400, wantShares: []int64{100}},
		{name: "WorkedExampleRest", order: order(1000, 200), active: []int64{500}, amount: 500, wantPayer: 400, wantShares: []int64{100}},
		{name: "NoPromotion", order: order(1000), amount: 333, wantPayer: 333},
		{name: "FullRefund", order: order(1000, 200), amount: 1000, wantPayer: 800, wantShares: []int64{200}},
		// 0.8 × 3 = 2.4 → 2 to the payer.
		{name: "RoundDown", order: order(1000, 200), amount: 3, wantPayer: 2, wantShares: []int64{1}},
		// 0.7 × 5 = 3.5 → 4 (half up).
		{name: "RoundHalfUp", order: order(1000, 300), amount: 5, wantPayer: 4, wantShares: []int64{1}},
		// 1 fen of discount over three equal coupons: the first two round 1/3 down to 0,
		// the last takes the rest.
		{name: "LastTakesRest", order: order(1000, 100, 100, 100), amount: 5, wantPayer: 4, wantShares: []int64{0, 0, 1}},
		// 2 fen over three: 2/3 rounds up for the first two, nothing is left for the last.
		{name: "LastTakesNothing", order: order(1000, 100, 100, 100), amount: 7, wantPayer: 5, wantShares: []int64{1, 1, 0}},
		// 61 fen over 100:50:33 = 33.3, 16.7, 11.0 → 33, 17, rest 11.
		{name: "Proportional", order: order(1000, 100, 50, 33), amount: 333, wantPayer: 272, wantShares: []int64{33, 17, 11}},
		// Cumulative shares: after 1 fen to the last coupon, the next refund evens out.
		{name: "Cumulative", order: order(1000, 100, 100, 100), active: []int64{5}, amount: 5, wantPayer: 3, wantShares: []int64{1, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var active []*Refund
			for _, a := range tt.active {
				active = append(active, splitRefund(tt.order, active, a))
			}
			payer, promos := splitActive(tt.order, active, tt.amount)
			if payer != tt.wantPayer {
				t.Errorf("split(%d) payer = %d, want %d", tt.amount, payer, tt.wantPayer)
			}
			if diff := cmp.Diff(tt.wantShares, shares(promos)); len(tt.wantShares) > 0 && diff != "" {
				t.Errorf("split(%d) promotion shares mismatch (-want +got):\n%s", tt.amount, diff)
			}
			if len(tt.wantShares) == 0 && promos != nil {
				t.Errorf("split(%d) promotions = %v, want nil", tt.amount, promos)
			}
			for i, p := range promos {
				if p.Promotion != tt.order.Promotions[i] {
					t.Errorf("split(%d) promotion %d = %+v, want %+v", tt.amount, i, p.Promotion, tt.order.Promotions[i])
				}
			}
		})
	}
}

// splitRefund is the refund Service.Apply records for amount, split over active.
func splitRefund(t *Order, active []*Refund, amount int64) *Refund {
	payer, promos := splitActive(t, active, amount)
	return newSplitRefund(amount, payer, promos)
}

func newSplitRefund(amount, payer int64, promos []PromotionRefund) *Refund {
	return &Refund{
		Amount:     Amount{Refund: amount, PayerRefund: payer, DiscountRefund: amount - payer},
		Promotions: promos,
	}
}

// splitActive splits amount on t as the order stands after the refunds in active: its
// Refunded and its split totals summed from them.
func splitActive(t *Order, active []*Refund, amount int64) (int64, []PromotionRefund) {
	after := *t
	after.Refunded = 0
	for _, r := range active {
		after.Refunded += r.Amount.Refund
	}
	return split(&after, splitOf(t, active), amount)
}

// splitOracle is split as it was when it summed the active refunds itself, before
// orders kept running totals: every split on the totals must equal it.
func splitOracle(t *Order, active []*Refund, amount int64) (payer int64, promos []PromotionRefund) {
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

// TestSplit_Totals checks split on the order's running totals against splitOracle, which
// reads the active refunds: for random orders with promotions, random sequences of
// refunds and closes, the totals kept as Apply and closing keep them (added on apply,
// subtracted on close, never recomputed) give the same payer and promotion shares, fen
// for fen, on every step.
func TestSplit_Totals(t *testing.T) {
	const orders = 3000
	seed := uint64(20261203)
	rng := rand.New(rand.NewPCG(seed, seed))
	for n := range orders {
		o := randomOrder(rng)
		if n%3 == 0 && len(o.Promotions) > 1 {
			// Two promotions under one id: both count every share the refund gives it.
			o.Promotions[1].PromotionID = o.Promotions[0].PromotionID
		}
		if err := compareTotals(rng, o); err != nil {
			t.Fatalf("order %d (seed %d) total %d payer_total %d promotions %v: %v",
				n, seed, o.Total, o.PayerTotal, o.Promotions, err)
		}
	}
}

func compareTotals(rng *rand.Rand, o *Order) error {
	var active []*Refund
	for step := 0; step < 200; step++ {
		if len(active) > 0 && rng.IntN(4) == 0 {
			i := rng.IntN(len(active))
			o.countOut(active[i])
			active = append(active[:i:i], active[i+1:]...)
			continue
		}
		left := o.Total - o.Refunded
		if left == 0 {
			break
		}
		amount := 1 + rng.Int64N(left)
		if rng.IntN(3) == 0 {
			amount = 1 + rng.Int64N(min(left, 5))
		}
		so, ok := o.knownSplit()
		if !ok {
			return fmt.Errorf("step %d: totals unknown with %d refunds", step, o.RefundCount)
		}
		payer, promos := split(o, so, amount)
		wantPayer, wantPromos := splitOracle(o, active, amount)
		if payer != wantPayer || !cmp.Equal(promos, wantPromos) {
			return fmt.Errorf("step %d, refund %d after %d: split = %d %v, oracle %d %v",
				step, amount, o.Refunded, payer, shares(promos), wantPayer, shares(wantPromos))
		}
		r := newSplitRefund(amount, payer, promos)
		o.countIn(r, so)
		active = append(active, r)
	}
	return nil
}

// TestSplit_Property refunds many random orders in random partial refunds until nothing
// is left, closing some on the way as the channel may, and checks the rules of money
// after every step.
func TestSplit_Property(t *testing.T) {
	const orders = 3000
	seed := uint64(20250601)
	rng := rand.New(rand.NewPCG(seed, seed))
	for n := range orders {
		o := randomOrder(rng)
		closing := n%2 == 1
		if err := exhaust(rng, o, closing); err != nil {
			t.Fatalf("order %d (seed %d) total %d payer_total %d promotions %v, closing %v: %v",
				n, seed, o.Total, o.PayerTotal, o.Promotions, closing, err)
		}
	}
}

func randomOrder(rng *rand.Rand) *Order {
	var total int64
	switch rng.IntN(3) {
	case 0:
		total = 1 + rng.Int64N(20) // a few fen: rounding dominates
	case 1:
		total = 1 + rng.Int64N(10_000)
	default:
		total = 1 + rng.Int64N(100_000_000)
	}
	var promos []int64
	left := total - 1 // the payer pays at least 1 fen
	for range rng.IntN(5) {
		if left < 1 {
			break
		}
		a := 1 + rng.Int64N(left)
		if rng.IntN(2) == 0 {
			a = 1 + rng.Int64N(min(left, 1+left/4))
		}
		promos = append(promos, a)
		left -= a
	}
	o := order(total, promos...)
	for i := range o.Promotions {
		if rng.IntN(2) == 0 {
			o.Promotions[i].Type = "DISCOUNT"
		}
	}
	return o
}

// exhaust refunds o in random pieces until it is fully refunded, checking every step.
// When closing, some refunds are closed on the way and their amount refunded again.
func exhaust(rng *rand.Rand, o *Order, closing bool) error {
	var active []*Refund
	refunded := int64(0)
	for step := 0; refunded < o.Total; step++ {
		if step > 10_000 {
			return fmt.Errorf("not exhausted after %d steps", step)
		}
		if closing && len(active) > 0 && rng.IntN(4) == 0 {
			i := rng.IntN(len(active))
			refunded -= active[i].Amount.Refund
			active = append(active[:i:i], active[i+1:]...)
			continue
		}
		left := o.Total - refunded
		var amount int64
		switch rng.IntN(4) {
		case 0:
			amount = 1
		case 1:
			amount = left
		default:
			amount = 1 + rng.Int64N(left)
		}
		r := splitRefund(o, active, amount)
		if err := checkStep(o, r); err != nil {
			return fmt.Errorf("step %d, refund %d after %d: %w", step, amount, refunded, err)
		}
		active = append(active, r)
		refunded += amount
		if err := checkCumulative(o, active, refunded == o.Total); err != nil {
			return fmt.Errorf("step %d, refund %d: %w", step, amount, err)
		}
	}
	return nil
}

// checkStep checks one refund's own split: no negative share, shares adding up.
func checkStep(o *Order, r *Refund) error {
	a := r.Amount
	if a.PayerRefund < 0 || a.PayerRefund > a.Refund {
		return fmt.Errorf("payer_refund %d outside [0, %d]", a.PayerRefund, a.Refund)
	}
	if len(o.Promotions) == 0 {
		if r.Promotions != nil || a.PayerRefund != a.Refund {
			return fmt.Errorf("no promotions, got payer_refund %d promotions %v, want %d and none", a.PayerRefund, r.Promotions, a.Refund)
		}
		return nil
	}
	if len(r.Promotions) != len(o.Promotions) {
		return fmt.Errorf("%d promotion refunds, want %d", len(r.Promotions), len(o.Promotions))
	}
	var sum int64
	for _, p := range r.Promotions {
		if p.RefundAmount < 0 {
			return fmt.Errorf("promotion %s refund_amount %d < 0", p.PromotionID, p.RefundAmount)
		}
		sum += p.RefundAmount
	}
	if sum != a.DiscountRefund {
		return fmt.Errorf("promotion refunds sum to %d, want discount_refund %d", sum, a.DiscountRefund)
	}
	return nil
}

// checkCumulative checks what all active refunds return together: never more than the
// payer paid or a promotion was worth, and exactly that once the order is fully refunded.
func checkCumulative(o *Order, active []*Refund, full bool) error {
	var payer int64
	promos := make(map[string]int64)
	for _, r := range active {
		payer += r.Amount.PayerRefund
		for _, p := range r.Promotions {
			promos[p.PromotionID] += p.RefundAmount
		}
	}
	if payer > o.PayerTotal || (full && payer != o.PayerTotal) {
		return fmt.Errorf("payer got %d of payer_total %d (fully refunded: %v)", payer, o.PayerTotal, full)
	}
	for _, p := range o.Promotions {
		got := promos[p.PromotionID]
		if got > p.Amount || (full && got != p.Amount) {
			return fmt.Errorf("promotion %s got %d of %d (fully refunded: %v)", p.PromotionID, got, p.Amount, full)
		}
	}
	return nil
}

func TestMulDivRound(t *testing.T) {
	tests := []struct {
		a, b, c int64
		want    int64
	}{
		{500, 800, 1000, 400},
		{1, 1, 2, 1},      // 0.5 → 1
		{1, 1, 3, 0},      // 0.33 → 0
		{2, 1, 3, 1},      // 0.67 → 1
		{5, 1, 2, 3},      // 2.5 → 3
		{7, 1, 2, 4},      // 3.5 → 4
		{3, 7, 10, 2},     // 2.1 → 2
		{5, 7, 10, 4},     // 3.5 → 4
		{1, 499, 1000, 0}, // 0.499 → 0
		{1, 500, 1000, 1}, // 0.5 → 1
		{0, 800, 1000, 0},
		{1000, 0, 1000, 0},
		{1000, 800, 0, 0}, // no division by zero
		{math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64}, // no overflow on the way
		{math.MaxInt64, 3, 6, math.MaxInt64/2 + 1},                   // (2^63-1)/2 = …x.5 → up
	}
	for _, tt := range tests {
		if got := mulDivRound(tt.a, tt.b, tt.c); got != tt.want {
			t.Errorf("mulDivRound(%d, %d, %d) = %d, want %d", tt.a, tt.b, tt.c, got, tt.want)
		}
	}
}
