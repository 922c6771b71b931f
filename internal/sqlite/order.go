package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
)

var orderColumns = []string{"transaction_id", "out_trade_no", "mchid", "sp_mchid", "appid", "sub_appid",
	"total", "payer_total", "currency", "promotions", "bank_type", "success_time", "create_time",
	"refund_outcome", "refunded", "refund_count", "last_refund_at",
	"trade_type", "trade_state", "trade_state_desc", "description", "attach", "notify_url", "goods_tag",
	"time_expire", "support_fapiao", "limit_pay", "profit_sharing", "payer_openid", "sp_openid",
	"sub_openid", "payer_client_ip", "prepay_id", "code_url", "h5_url", "place_digest", "protocol"}

// orders stores pay.Order. UPDATE leaves the keys (transaction_id, mchid, out_trade_no)
// alone: they never change once an order exists. prepay_id and code_url are NULL when
// absent, so that their UNIQUE indexes hold among real ones only.
var orders = &table[pay.Order]{
	name:    "orders",
	columns: orderColumns,
	key:     []string{"transaction_id"},
	update:  except(orderColumns, "transaction_id", "mchid", "out_trade_no"),
	values: func(o *pay.Order) []any {
		return []any{o.ID, o.OutTradeNo, o.Mchid, o.SpMchid, o.Appid, o.SubAppid,
			o.Total, o.PayerTotal, o.Currency, encodeList(o.Promotions, toStoredPromotion), o.BankType, millis(o.SuccessTime), millis(o.CreateTime),
			string(o.RefundOutcome), o.Refunded, o.RefundCount, millis(o.LastRefundAt),
			string(o.TradeType), string(o.TradeState), o.TradeStateDesc, o.Description, o.Attach, o.NotifyURL, o.GoodsTag,
			millis(o.TimeExpire), o.SupportFapiao, jsonList(o.LimitPay), o.ProfitSharing, o.PayerOpenid, o.SpOpenid,
			o.SubOpenid, o.PayerClientIP, nullIfEmpty(o.PrepayID), nullIfEmpty(o.CodeURL), o.H5URL, o.PlaceDigest, o.Protocol}
	},
	dest: func(o *pay.Order) []any {
		return []any{&o.ID, &o.OutTradeNo, &o.Mchid, &o.SpMchid, &o.Appid, &o.SubAppid,
			&o.Total, &o.PayerTotal, &o.Currency, listDest(&o.Promotions, fromStoredPromotion), &o.BankType, timeDest(&o.SuccessTime), timeDest(&o.CreateTime),
			&o.RefundOutcome, &o.Refunded, &o.RefundCount, timeDest(&o.LastRefundAt),
			&o.TradeType, &o.TradeState, &o.TradeStateDesc, &o.Description, &o.Attach, &o.NotifyURL, &o.GoodsTag,
			timeDest(&o.TimeExpire), &o.SupportFapiao, jsonListDest(&o.LimitPay), &o.ProfitSharing, &o.PayerOpenid, &o.SpOpenid,
			&o.SubOpenid, &o.PayerClientIP, nullStringDest(&o.PrepayID), nullStringDest(&o.CodeURL), &o.H5URL, &o.PlaceDigest, &o.Protocol}
	},
}

// Order finds mchid's order by ref, transaction_id first. No lock is needed: inside
// Update the whole transaction already holds SQLite's write lock.
func (tx *tx) Order(ctx context.Context, mchid string, ref pay.TradeRef) (*pay.Order, error) {
	query := orders.selectSQL("") + ` WHERE transaction_id = ? AND mchid = ?`
	key := ref.TransactionID
	if key == "" {
		query = orders.selectSQL("") + ` WHERE out_trade_no = ? AND mchid = ?`
		key = ref.OutTradeNo
	}
	o, err := orders.scan(tx.tx.QueryRowContext(ctx, query, key, mchid))
	if err != nil {
		return nil, dbError("transaction "+key+" of "+mchid, err)
	}
	return o, nil
}

// OrderByID finds an order by transaction_id, whoever its merchant.
func (tx *tx) OrderByID(ctx context.Context, transactionID string) (*pay.Order, error) {
	o, err := orders.scan(tx.tx.QueryRowContext(ctx, orders.selectSQL("")+` WHERE transaction_id = ?`, transactionID))
	if err != nil {
		return nil, dbError("transaction "+transactionID, err)
	}
	return o, nil
}

// InsertOrder adds o; ErrDuplicate when its transaction_id, or its out_trade_no
// under the same mchid, is taken.
func (tx *tx) InsertOrder(ctx context.Context, o *pay.Order) error {
	if _, err := tx.tx.ExecContext(ctx, orders.insertSQL(sqlitePlaceholder), orders.values(o)...); err != nil {
		return dbError("insert transaction "+o.ID, err)
	}
	return nil
}

// UpdateOrder writes every column of o but its keys.
func (tx *tx) UpdateOrder(ctx context.Context, o *pay.Order) error {
	res, err := tx.tx.ExecContext(ctx, orders.updateSQL(sqlitePlaceholder), orders.updateArgs(o)...)
	return mustAffect("update transaction "+o.ID, res, err)
}

// OrderByPrepayID finds an order by the prepay_id it was answered with.
func (tx *tx) OrderByPrepayID(ctx context.Context, prepayID string) (*pay.Order, error) {
	return tx.orderWhere(ctx, "prepay_id", prepayID)
}

// OrderByCodeURL finds a NATIVE order by its code_url.
func (tx *tx) OrderByCodeURL(ctx context.Context, codeURL string) (*pay.Order, error) {
	return tx.orderWhere(ctx, "code_url", codeURL)
}

// orderWhere finds the order whose unique column holds value; "" matches none, as the
// column holds NULL there.
func (tx *tx) orderWhere(ctx context.Context, column, value string) (*pay.Order, error) {
	o, err := orders.scan(tx.tx.QueryRowContext(ctx, orders.selectSQL("")+` WHERE `+column+` = ?`, value))
	if err != nil {
		return nil, dbError("order with "+column+" "+value, err)
	}
	return o, nil
}
