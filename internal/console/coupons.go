package console

import (
	"fmt"
	"net/http"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// coupons lists the coupon stocks, newest first, each with the coupons sent from it.
func (h *handler) coupons(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := pay.StockFilter{Creator: q.Get("creator"), Limit: pageSize + 1, Offset: listOffset(q)}
	stocks, err := h.svc.Coupons.Stocks(r.Context(), f)
	if err != nil {
		return fmt.Errorf("list stocks: %w", err)
	}
	stocks, next := trimPage(stocks, f.Offset)
	type stockCoupons struct {
		Stock   *pay.Stock
		Coupons []*pay.Coupon
	}
	rows := make([]stockCoupons, 0, len(stocks))
	for _, st := range stocks {
		cs, err := h.svc.Coupons.Find(r.Context(), pay.CouponFilter{StockID: st.ID})
		if err != nil {
			return fmt.Errorf("list coupons of stock %s: %w", st.ID, err)
		}
		rows = append(rows, stockCoupons{st, cs})
	}
	return h.render(w, r, "coupons", struct {
		Stocks []stockCoupons
		Filter pay.StockFilter
		Pager  pager
	}{rows, f, pagerOf(r.URL, f.Offset, next)})
}
