package postgres

import (
	"context"
	"errors"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// errPending marks the parts of pay.Tx this store does not implement yet; this file is
// replaced by their implementations before the branch is merged.
var errPending = errors.New("not implemented yet")

func (t *tx) Orders(ctx context.Context, f pay.OrderFilter) ([]*pay.Order, error) {
	return nil, errPending
}
func (t *tx) Refunds(ctx context.Context, f pay.RefundFilter) ([]*pay.Refund, error) {
	return nil, errPending
}
func (t *tx) CountRefunds(ctx context.Context) (map[pay.Status]int64, error) { return nil, errPending }
func (t *tx) Notifications(ctx context.Context, f pay.NotificationFilter) ([]*pay.Notification, error) {
	return nil, errPending
}
func (t *tx) CountNotifications(ctx context.Context, status pay.NotificationStatus) (int64, error) {
	return 0, errPending
}
func (t *tx) Stocks(ctx context.Context, f pay.StockFilter) ([]*pay.Stock, error) {
	return nil, errPending
}
func (t *tx) InsertJournalEntries(ctx context.Context, entries []*pay.JournalEntry) error {
	return errPending
}
func (t *tx) TrimJournal(ctx context.Context, keep int) (int, error) { return 0, errPending }
func (t *tx) JournalEntries(ctx context.Context, f pay.JournalFilter) ([]*pay.JournalEntry, error) {
	return nil, errPending
}
func (t *tx) JournalEntry(ctx context.Context, id int64) (*pay.JournalEntry, error) {
	return nil, errPending
}
