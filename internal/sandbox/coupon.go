package sandbox

import (
	"net/http"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// deleteCouponBody is POST /sandbox/v1/coupons/{coupon_code}/delete: the user deletes a
// merchant coupon from their card package, which WeChat Pay has no merchant API for.
type deleteCouponBody struct {
	StockID string `json:"stock_id"`
}

func (h *handler) deleteCoupon(r *http.Request) (any, error) {
	var b deleteCouponBody
	if r.ContentLength != 0 {
		if err := decode(r, &b); err != nil {
			return nil, err
		}
	}
	c, err := h.svc.Coupons.Delete(r.Context(), b.StockID, r.PathValue("coupon_code"))
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"coupon_code": c.Code, "stock_id": c.StockID, "coupon_state": string(c.State),
		"delete_time": h.svc.Time.Clock().Now().In(pay.Beijing).Format(time.RFC3339),
	}, nil
}
