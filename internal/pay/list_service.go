package pay

import "context"

// These lists are for people looking at the sandbox (the console), not for the WeChat
// Pay APIs, whose lists are scoped to the calling merchant by their own methods.

// Find lists the orders f selects, newest first.
func (s *Orders) Find(ctx context.Context, f OrderFilter) ([]*Order, error) {
	return view(ctx, s.store, func(tx Tx) ([]*Order, error) { return tx.Orders(ctx, f) })
}

// Find lists the refunds f selects, newest first.
func (s *Refunds) Find(ctx context.Context, f RefundFilter) ([]*Refund, error) {
	return view(ctx, s.store, func(tx Tx) ([]*Refund, error) { return tx.Refunds(ctx, f) })
}

// CountByStatus counts the refunds in each status.
func (s *Refunds) CountByStatus(ctx context.Context) (map[Status]int64, error) {
	return view(ctx, s.store, func(tx Tx) (map[Status]int64, error) { return tx.CountRefunds(ctx) })
}

// Find lists the notifications f selects, the latest updated first.
func (s *Notifications) Find(ctx context.Context, f NotificationFilter) ([]*Notification, error) {
	return view(ctx, s.store, func(tx Tx) ([]*Notification, error) { return tx.Notifications(ctx, f) })
}

// Count counts the notifications in status.
func (s *Notifications) Count(ctx context.Context, status NotificationStatus) (int64, error) {
	return view(ctx, s.store, func(tx Tx) (int64, error) { return tx.CountNotifications(ctx, status) })
}

// Stocks lists the coupon stocks f selects, newest first.
func (s *Coupons) Stocks(ctx context.Context, f StockFilter) ([]*Stock, error) {
	return view(ctx, s.store, func(tx Tx) ([]*Stock, error) { return tx.Stocks(ctx, f) })
}

// Find lists the coupons f selects, oldest first.
func (s *Coupons) Find(ctx context.Context, f CouponFilter) ([]*Coupon, error) {
	return view(ctx, s.store, func(tx Tx) ([]*Coupon, error) { return tx.Coupons(ctx, f) })
}

// List lists every merchant, oldest first.
func (s *Merchants) List(ctx context.Context) ([]*Merchant, error) {
	return view(ctx, s.store, func(tx Tx) ([]*Merchant, error) { return tx.Merchants(ctx) })
}

// view runs read in a read-only transaction and returns what it read.
func view[T any](ctx context.Context, store Store, read func(Tx) (T, error)) (T, error) {
	var out T
	err := store.View(ctx, func(tx Tx) error {
		var err error
		out, err = read(tx)
		return err
	})
	return out, err
}
