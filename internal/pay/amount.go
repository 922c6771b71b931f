package pay

import "math"

// sumAmounts adds amounts in fen that a client sent. Each must already be known to be
// non-negative; ok is false if the sum does not fit in an int64, which no real amount
// comes near, so that a sum that wrapped can never pass for a small one.
func sumAmounts(amounts ...int64) (sum int64, ok bool) {
	for _, a := range amounts {
		if a > math.MaxInt64-sum {
			return 0, false
		}
		sum += a
	}
	return sum, true
}
