package refund

// ComplaintTx is the part of Tx that keeps complaints (issue 6). Its methods follow Tx's
// conventions: ErrNotFound, ErrDuplicate, ctx first.
type ComplaintTx interface {
}
