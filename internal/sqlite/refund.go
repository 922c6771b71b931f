package sqlite

import (
	"context"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

var refundColumns = []string{"refund_id", "out_refund_no", "mchid", "sp_mchid", "transaction_id", "out_trade_no",
	"api", "reason", "notify_url", "funds_account", "refund_account", "sp_appid", "sub_appid",
	"amount_refund", "amount_total", "payer_total", "payer_refund", "settlement_total",
	"settlement_refund", "discount_refund", "currency", "amount_from", "promotions", "goods_detail",
	"status", "channel", "user_received_account", "create_time", "success_time", "update_time",
	"settle_at", "outcome", "abnormal_type", "bank_type", "sealed_bank_account", "sealed_real_name"}

// refunds stores pay.Refund. UPDATE leaves the keys (refund_id, mchid, out_refund_no,
// transaction_id) alone: they never change once a refund exists.
var refunds = &table[pay.Refund]{
	name:    "refunds",
	columns: refundColumns,
	key:     []string{"refund_id"},
	update:  except(refundColumns, "refund_id", "mchid", "out_refund_no", "transaction_id"),
	values: func(r *pay.Refund) []any {
		a := &r.Amount
		return []any{r.ID, r.OutRefundNo, r.Mchid, r.SpMchid, r.TransactionID, r.OutTradeNo,
			string(r.API), r.Reason, r.NotifyURL, r.FundsAccount, r.RefundAccount, r.SpAppid, r.SubAppid,
			a.Refund, a.Total, a.PayerTotal, a.PayerRefund, a.SettlementTotal,
			a.SettlementRefund, a.DiscountRefund, a.Currency,
			encodeList(a.From, toStoredFundsFrom), encodeList(r.Promotions, toStoredPromotionRefund), encodeList(r.GoodsDetail, toStoredGoods),
			string(r.Status), r.Channel, r.UserReceivedAccount, millis(r.CreateTime), millis(r.SuccessTime), millis(r.UpdateTime),
			millis(r.SettleAt), string(r.Outcome), r.AbnormalType, r.BankType, r.SealedBankAccount, r.SealedRealName}
	},
	dest: func(r *pay.Refund) []any {
		a := &r.Amount
		return []any{&r.ID, &r.OutRefundNo, &r.Mchid, &r.SpMchid, &r.TransactionID, &r.OutTradeNo,
			&r.API, &r.Reason, &r.NotifyURL, &r.FundsAccount, &r.RefundAccount, &r.SpAppid, &r.SubAppid,
			&a.Refund, &a.Total, &a.PayerTotal, &a.PayerRefund, &a.SettlementTotal,
			&a.SettlementRefund, &a.DiscountRefund, &a.Currency,
			listDest(&a.From, fromStoredFundsFrom), listDest(&r.Promotions, fromStoredPromotionRefund), listDest(&r.GoodsDetail, fromStoredGoods),
			&r.Status, &r.Channel, &r.UserReceivedAccount, timeDest(&r.CreateTime), timeDest(&r.SuccessTime), timeDest(&r.UpdateTime),
			timeDest(&r.SettleAt), &r.Outcome, &r.AbnormalType, &r.BankType, &r.SealedBankAccount, &r.SealedRealName}
	},
}

// Refund finds mchid's refund by out_refund_no.
func (tx *tx) Refund(ctx context.Context, mchid, outRefundNo string) (*pay.Refund, error) {
	row := tx.tx.QueryRowContext(ctx, refunds.selectSQL("")+`
		WHERE mchid = ? AND out_refund_no = ?`, mchid, outRefundNo)
	r, err := refunds.scan(row)
	if err != nil {
		return nil, dbError("refund "+outRefundNo+" of "+mchid, err)
	}
	return r, nil
}

// RefundByID finds a refund by refund_id.
func (tx *tx) RefundByID(ctx context.Context, refundID string) (*pay.Refund, error) {
	row := tx.tx.QueryRowContext(ctx, refunds.selectSQL("")+` WHERE refund_id = ?`, refundID)
	r, err := refunds.scan(row)
	if err != nil {
		return nil, dbError("refund "+refundID, err)
	}
	return r, nil
}

// RefundsOfOrder lists an order's refunds, oldest first; rowid breaks ties between
// refunds created in the same millisecond by insertion order.
func (tx *tx) RefundsOfOrder(ctx context.Context, transactionID string) ([]*pay.Refund, error) {
	return tx.refunds(ctx, "refunds of transaction "+transactionID, refunds.selectSQL("")+`
		WHERE transaction_id = ? ORDER BY create_time, rowid`, transactionID)
}

// DueRefunds lists up to limit PROCESSING refunds whose SettleAt is set and not after now,
// soonest first. The literals repeat the predicate of the partial index refunds_due.
func (tx *tx) DueRefunds(ctx context.Context, now time.Time, limit int) ([]*pay.Refund, error) {
	return tx.refunds(ctx, "due refunds", refunds.selectSQL("")+`
		WHERE status = 'PROCESSING' AND settle_at > 0 AND settle_at <= ?
		ORDER BY settle_at, rowid LIMIT ?`, now.UnixMilli(), limit)
}

func (tx *tx) refunds(ctx context.Context, what, query string, args ...any) ([]*pay.Refund, error) {
	out, err := collect(ctx, tx.tx, refunds.scan, query, args...)
	if err != nil {
		return nil, dbError(what, err)
	}
	return out, nil
}

// InsertRefund adds r; ErrDuplicate when its refund_id, or its out_refund_no under the
// same mchid, is taken.
func (tx *tx) InsertRefund(ctx context.Context, r *pay.Refund) error {
	if _, err := tx.tx.ExecContext(ctx, refunds.insertSQL(sqlitePlaceholder), refunds.values(r)...); err != nil {
		return dbError("insert refund "+r.ID, err)
	}
	return nil
}

// UpdateRefund writes every column of r but its keys.
func (tx *tx) UpdateRefund(ctx context.Context, r *pay.Refund) error {
	res, err := tx.tx.ExecContext(ctx, refunds.updateSQL(sqlitePlaceholder), refunds.updateArgs(r)...)
	return mustAffect("update refund "+r.ID, res, err)
}
