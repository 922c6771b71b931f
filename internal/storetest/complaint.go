package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestComplaints checks ComplaintTx (complaints, their history, images and notification
// URLs), each case on a fresh store from open.
func TestComplaints(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("Complaint", func(t *testing.T) { testComplaint(t, open(t)) })
	t.Run("ComplaintDuplicate", func(t *testing.T) { testComplaintDuplicate(t, open(t)) })
	t.Run("UpdateComplaint", func(t *testing.T) { testUpdateComplaint(t, open(t)) })
	t.Run("ComplaintsFilter", func(t *testing.T) { testComplaintsFilter(t, open(t)) })
	t.Run("ComplaintsPaging", func(t *testing.T) { testComplaintsPaging(t, open(t)) })
	t.Run("ComplaintsOfOrder", func(t *testing.T) { testComplaintsOfOrder(t, open(t)) })
	t.Run("ComplaintLogs", func(t *testing.T) { testComplaintLogs(t, open(t)) })
	t.Run("Image", func(t *testing.T) { testImage(t, open(t)) })
	t.Run("ComplaintNotifyURL", func(t *testing.T) { testComplaintNotifyURL(t, open(t)) })
}

// newComplaint returns a complaint about t made at created, with every stored field set
// to something other than its zero value. PayerPhone stays empty: only the Service's
// reads fill it.
func newComplaint(id string, t *pay.Order, created time.Time) *pay.Complaint {
	return &pay.Complaint{
		ID:                   id,
		Mchid:                t.Mchid,
		SpMchid:              t.SpMchid,
		TransactionID:        t.ID,
		OutTradeNo:           t.OutTradeNo,
		Amount:               t.Total,
		State:                pay.ComplaintProcessing,
		ProblemType:          pay.ProblemRefund,
		ApplyRefundAmount:    500,
		Detail:               "商品没收到，申请退款",
		SealedPayerPhone:     "UlNBLU9BRVAgc2VhbGVkIHBob25l",
		PayerOpenid:          "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		UserTags:             []string{pay.TagTrusted, "FREQUENT"},
		Media:                []string{pay.ImageURL("media-1"), pay.ImageURL("media-2")},
		FullRefunded:         true,
		IncomingUserResponse: true,
		UserComplaintTimes:   2,
		RefundAction:         pay.ActionApprove,
		LaunchRefundDay:      3,
		CreateTime:           created,
		UpdateTime:           created.Add(time.Minute),
	}
}

// newPendingComplaint returns a new complaint about t with the bare fields only: nil
// lists, false flags and no update time.
func newPendingComplaint(id string, t *pay.Order, created time.Time) *pay.Complaint {
	return &pay.Complaint{
		ID:                 id,
		Mchid:              t.Mchid,
		SpMchid:            t.SpMchid,
		TransactionID:      t.ID,
		OutTradeNo:         t.OutTradeNo,
		Amount:             t.Total,
		State:              pay.ComplaintPending,
		ProblemType:        pay.ProblemOthers,
		Detail:             "服务态度差",
		UserComplaintTimes: 1,
		CreateTime:         created,
	}
}

// newComplaintLog returns an entry of complaintID's history with every field set.
func newComplaintLog(id, complaintID string, when time.Time) *pay.ComplaintLog {
	return &pay.ComplaintLog{
		ID:          id,
		ComplaintID: complaintID,
		Operator:    "投诉人",
		OperateType: pay.OpUserResponse,
		Details:     "请尽快处理",
		Images:      []string{pay.ImageURL("media-3"), pay.ImageURL("media-4")},
		Time:        when,
	}
}

func insertComplaints(t *testing.T, s pay.Store, cs ...*pay.Complaint) {
	t.Helper()
	mustWrite(t, s, func(tx pay.Tx) error {
		for _, c := range cs {
			if err := tx.InsertComplaint(t.Context(), c); err != nil {
				return err
			}
		}
		return nil
	})
}

func insertComplaintLogs(t *testing.T, s pay.Store, ls ...*pay.ComplaintLog) {
	t.Helper()
	mustWrite(t, s, func(tx pay.Tx) error {
		for _, l := range ls {
			if err := tx.InsertComplaintLog(t.Context(), l); err != nil {
				return err
			}
		}
		return nil
	})
}

// complaintIDs returns the ids of cs, in order, for readable list diffs.
func complaintIDs(cs []*pay.Complaint) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func testComplaint(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	full := newComplaint("200000020250314000001", tr, at(0))
	bare := newPendingComplaint("200000020250314000002", tr, at(time.Second))
	// The opened phone is never stored: only its sealed form is kept at rest.
	withPhone := *full
	withPhone.PayerPhone = "13800138000"
	insertComplaints(t, s, &withPhone, bare)

	for _, want := range []*pay.Complaint{full, bare} {
		got := mustRead(t, s, func(tx pay.Tx) (*pay.Complaint, error) { return tx.Complaint(ctx, want.ID) })
		checkEqual(t, "Complaint("+want.ID+")", want, got)
	}
	got := mustRead(t, s, func(tx pay.Tx) (*pay.Complaint, error) { return tx.Complaint(ctx, bare.ID) })
	if !got.UpdateTime.IsZero() {
		t.Errorf("Complaint(%q).UpdateTime = %v, want zero", bare.ID, got.UpdateTime)
	}

	_, err := read(t, s, func(tx pay.Tx) (*pay.Complaint, error) { return tx.Complaint(ctx, "200000020250314009999") })
	checkErr(t, "Complaint(unknown)", err, pay.ErrNotFound)
}

func testComplaintDuplicate(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	first := newComplaint("200000020250314000001", tr, at(0))
	insertComplaints(t, s, first)

	sameID := newPendingComplaint(first.ID, tr, at(time.Minute))
	err := write(t, s, func(tx pay.Tx) error { return tx.InsertComplaint(ctx, sameID) })
	checkErr(t, "InsertComplaint(same complaint_id)", err, pay.ErrDuplicate)

	// One order may be complained about again.
	again := newComplaint("200000020250314000002", tr, at(time.Minute))
	if err := write(t, s, func(tx pay.Tx) error { return tx.InsertComplaint(ctx, again) }); err != nil {
		t.Errorf("InsertComplaint(same order, new id): %v", err)
	}

	orphan := newComplaint("200000020250314000003", newOrder("4200009999", tr.Mchid, "trade-9"), at(0))
	if err := write(t, s, func(tx pay.Tx) error { return tx.InsertComplaint(ctx, orphan) }); err == nil {
		t.Errorf("InsertComplaint(unknown transaction) succeeded, want an error")
	}
}

// UpdateComplaint writes what a complaint's handling changes: state, the refund flags and
// answer, the complaint count and the update time. What the user said is fixed when the
// complaint is made.
func testUpdateComplaint(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	orig := newPendingComplaint("200000020250314000001", tr, at(0))
	other := newPendingComplaint("200000020250314000002", tr, at(0))
	insertComplaints(t, s, orig, other)

	// changed has every field different from orig; only the mutable ones are written.
	changed := *newComplaint(orig.ID, newOrder("4200000002", "1900000110", "trade-2"), at(time.Hour))
	changed.SpMchid, changed.Amount, changed.ProblemType = "1900000999", 1, pay.ProblemServiceNotWork
	changed.Detail, changed.PayerPhone = "改过的投诉内容", "13800138000"
	changed.State, changed.RefundAction = pay.ComplaintProcessed, pay.ActionReject
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateComplaint(ctx, &changed) })

	want := *orig
	want.State, want.FullRefunded, want.IncomingUserResponse = changed.State, changed.FullRefunded, changed.IncomingUserResponse
	want.UserComplaintTimes, want.RefundAction, want.LaunchRefundDay = changed.UserComplaintTimes, changed.RefundAction, changed.LaunchRefundDay
	want.UpdateTime = changed.UpdateTime
	got := mustRead(t, s, func(tx pay.Tx) (*pay.Complaint, error) { return tx.Complaint(ctx, orig.ID) })
	checkEqual(t, "Complaint after UpdateComplaint", &want, got)

	// Zero values are written too: flags back to false, the answer back to "".
	back := want
	back.State, back.FullRefunded, back.IncomingUserResponse = pay.ComplaintPending, false, false
	back.UserComplaintTimes, back.RefundAction, back.LaunchRefundDay = 1, "", 0
	back.UpdateTime = at(2 * time.Hour)
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateComplaint(ctx, &back) })
	got = mustRead(t, s, func(tx pay.Tx) (*pay.Complaint, error) { return tx.Complaint(ctx, orig.ID) })
	checkEqual(t, "Complaint after UpdateComplaint back", &back, got)

	untouched := mustRead(t, s, func(tx pay.Tx) (*pay.Complaint, error) { return tx.Complaint(ctx, other.ID) })
	checkEqual(t, "other Complaint after UpdateComplaint", other, untouched)

	unknown := newComplaint("200000020250314009999", tr, at(0))
	err := write(t, s, func(tx pay.Tx) error { return tx.UpdateComplaint(ctx, unknown) })
	checkErr(t, "UpdateComplaint(unknown)", err, pay.ErrNotFound)
}

// testComplaintsFilter checks who sees which complaints: a merchant its own, a partner
// those of its sub-merchants, Sub one of them; and the [Begin, End) window.
func testComplaintsFilter(t *testing.T, s pay.Store) {
	const partner, subA, subB, direct = "1900000100", "1900000109", "1900000110", "1900000200"
	_, trA := seed(t, s, subA, "4200000001", "trade-1")
	_, trB := seed(t, s, subB, "4200000002", "trade-2")
	_, trD := seed(t, s, direct, "4200000003", "trade-3")
	if trA.SpMchid != partner || trB.SpMchid != partner {
		t.Fatalf("fixture orders belong to partner %q, want %q", trA.SpMchid, partner)
	}
	trD.SpMchid = ""

	begin := base.Truncate(time.Millisecond)
	end := begin.Add(24 * time.Hour)
	mk := func(id string, tr *pay.Order, created time.Time) *pay.Complaint {
		return newPendingComplaint(id, tr, created)
	}
	insertComplaints(t, s,
		mk("a-before", trA, begin.Add(-time.Millisecond)),
		mk("a-begin", trA, begin), // at Begin: in
		mk("a-1h", trA, begin.Add(time.Hour)),
		mk("b-2h", trB, begin.Add(2*time.Hour)),
		mk("d-30m", trD, begin.Add(30*time.Minute)),
		mk("a-end", trA, end), // at End: out
	)

	tests := []struct {
		name string
		f    pay.ComplaintFilter
		want []string
	}{
		{"partner sees its subs'", pay.ComplaintFilter{Mchid: partner}, []string{"b-2h", "a-1h", "a-begin"}},
		{"partner narrowed to one sub", pay.ComplaintFilter{Mchid: partner, Sub: subA}, []string{"a-1h", "a-begin"}},
		{"partner narrowed to another's merchant", pay.ComplaintFilter{Mchid: partner, Sub: direct}, nil},
		{"sub sees its own", pay.ComplaintFilter{Mchid: subA}, []string{"a-1h", "a-begin"}},
		{"sub narrowed to itself", pay.ComplaintFilter{Mchid: subA, Sub: subA}, []string{"a-1h", "a-begin"}},
		{"sub narrowed to its sibling", pay.ComplaintFilter{Mchid: subA, Sub: subB}, nil},
		{"direct merchant", pay.ComplaintFilter{Mchid: direct}, []string{"d-30m"}},
		{"unknown merchant", pay.ComplaintFilter{Mchid: "1900000999"}, nil},
		{"wider window", pay.ComplaintFilter{Mchid: subA, Begin: begin.Add(-time.Hour), End: end.Add(time.Millisecond)},
			[]string{"a-end", "a-1h", "a-begin", "a-before"}},
		{"empty window", pay.ComplaintFilter{Mchid: partner, Begin: begin.Add(time.Hour), End: begin.Add(time.Hour)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			if f.Begin.IsZero() {
				f.Begin, f.End = begin, end
			}
			f.Limit = 50
			cs, total, err := complaints(t, s, f)
			if err != nil {
				t.Fatalf("Complaints(%+v): %v", f, err)
			}
			checkEqual(t, fmt.Sprintf("Complaints(%+v) ids", f), tt.want, complaintIDs(cs))
			if total != len(tt.want) {
				t.Errorf("Complaints(%+v) total = %d, want %d", f, total, len(tt.want))
			}
		})
	}
}

// complaints runs Complaints(f) in one View.
func complaints(t *testing.T, s pay.Store, f pay.ComplaintFilter) ([]*pay.Complaint, int, error) {
	t.Helper()
	var total int
	cs, err := read(t, s, func(tx pay.Tx) ([]*pay.Complaint, error) {
		cs, n, err := tx.Complaints(t.Context(), f)
		total = n
		return cs, err
	})
	return cs, total, err
}

// testComplaintsPaging checks that pages of the newest-first list, ties included, add up
// to the whole list, and that the total counts every complaint f selects.
func testComplaintsPaging(t *testing.T, s pay.Store) {
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	c1 := newComplaint("c-1", tr, at(time.Second))
	c2 := newPendingComplaint("c-2", tr, at(2*time.Second))
	// Two complaints in the same millisecond: the one inserted later is the newer.
	c3a, c3b := newPendingComplaint("c-3a", tr, at(3*time.Second)), newPendingComplaint("c-3b", tr, at(3*time.Second))
	c4 := newComplaint("c-4", tr, at(4*time.Second))
	c5 := newPendingComplaint("c-5", tr, at(5*time.Second))
	insertComplaints(t, s, c3a, c1, c5, c3b, c2, c4)
	all := []*pay.Complaint{c5, c4, c3b, c3a, c2, c1}

	f := pay.ComplaintFilter{Mchid: tr.Mchid, Begin: at(0), End: at(time.Minute), Limit: 50}
	got, total, err := complaints(t, s, f)
	if err != nil {
		t.Fatalf("Complaints: %v", err)
	}
	checkEqual(t, "Complaints(all)", all, got)
	if total != len(all) {
		t.Errorf("Complaints(all) total = %d, want %d", total, len(all))
	}

	tests := []struct {
		limit, offset int
		want          []*pay.Complaint
	}{
		{2, 0, all[0:2]},
		{2, 2, all[2:4]},
		{2, 4, all[4:6]},
		{4, 4, all[4:6]},
		{2, 6, nil},
		{2, 100, nil},
		// Limit 0 selects nothing; the total still counts.
		{0, 0, nil},
	}
	for _, tt := range tests {
		f.Limit, f.Offset = tt.limit, tt.offset
		call := fmt.Sprintf("Complaints(limit %d, offset %d)", tt.limit, tt.offset)
		got, total, err := complaints(t, s, f)
		if err != nil {
			t.Errorf("%s: %v", call, err)
			continue
		}
		checkEqual(t, call, complaintIDs(tt.want), complaintIDs(got))
		if total != len(all) {
			t.Errorf("%s total = %d, want %d", call, total, len(all))
		}
	}
}

func testComplaintsOfOrder(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	_, otherTr := seed(t, s, "1900000110", "4200000002", "trade-2")
	late := newComplaint("c-late", tr, at(time.Minute))
	// Two complaints in the same millisecond keep their insertion order.
	early1 := newPendingComplaint("c-early-1", tr, at(0))
	early2 := newComplaint("c-early-2", tr, at(0))
	other := newComplaint("c-other", otherTr, at(-time.Minute))
	insertComplaints(t, s, late, early1, other, early2)

	got := mustRead(t, s, func(tx pay.Tx) ([]*pay.Complaint, error) { return tx.ComplaintsOfOrder(ctx, tr.ID) })
	checkEqual(t, "ComplaintsOfOrder", []*pay.Complaint{early1, early2, late}, got)

	none, err := read(t, s, func(tx pay.Tx) ([]*pay.Complaint, error) { return tx.ComplaintsOfOrder(ctx, "4200009999") })
	if err != nil || len(none) != 0 {
		t.Errorf("ComplaintsOfOrder(unknown) = %v, %v; want none, nil", none, err)
	}
}

func testComplaintLogs(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	c, other := newComplaint("c-1", tr, at(0)), newComplaint("c-2", tr, at(0))
	insertComplaints(t, s, c, other)

	// Inserted out of order; the history goes by operate time, ties in insertion order.
	l3 := newComplaintLog("log-3", c.ID, at(3*time.Minute))
	l1 := newComplaintLog("log-1", c.ID, at(time.Minute))
	l1.Operator, l1.OperateType = "系统", pay.OpUserCreate
	l2a := newComplaintLog("log-2a", c.ID, at(2*time.Minute))
	// A log without images or details.
	l2b := &pay.ComplaintLog{ID: "log-2b", ComplaintID: c.ID, Operator: "商户", OperateType: pay.OpMerchantComplete, Time: at(2 * time.Minute)}
	elsewhere := newComplaintLog("log-x", other.ID, at(0))
	insertComplaintLogs(t, s, l3, l1, elsewhere, l2a, l2b)

	got := mustRead(t, s, func(tx pay.Tx) ([]*pay.ComplaintLog, error) { return tx.ComplaintLogs(ctx, c.ID) })
	checkEqual(t, "ComplaintLogs("+c.ID+")", []*pay.ComplaintLog{l1, l2a, l2b, l3}, got)

	none, err := read(t, s, func(tx pay.Tx) ([]*pay.ComplaintLog, error) { return tx.ComplaintLogs(ctx, "unknown") })
	if err != nil || len(none) != 0 {
		t.Errorf("ComplaintLogs(unknown) = %v, %v; want none, nil", none, err)
	}

	dup := newComplaintLog(l1.ID, other.ID, at(time.Hour))
	err = write(t, s, func(tx pay.Tx) error { return tx.InsertComplaintLog(ctx, dup) })
	checkErr(t, "InsertComplaintLog(same id)", err, pay.ErrDuplicate)

	orphan := newComplaintLog("log-orphan", "unknown", at(0))
	if err := write(t, s, func(tx pay.Tx) error { return tx.InsertComplaintLog(ctx, orphan) }); err == nil {
		t.Errorf("InsertComplaintLog(unknown complaint) succeeded, want an error")
	}
}

func testImage(t *testing.T, s pay.Store) {
	ctx := t.Context()
	// Binary data: NUL and high bytes must come back as they went in.
	png := &pay.Image{
		MediaID:     "BB04A5DEEFEA18D4F2554C1EDD3B610B.png",
		Mchid:       "1900000109",
		Filename:    "收据.png",
		ContentType: "image/png",
		Data:        []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"),
		CreateTime:  at(0),
	}
	jpg := &pay.Image{MediaID: "m-2", Mchid: "1900000110", Filename: "a.jpg", ContentType: "image/jpeg",
		Data: []byte{0xff, 0xd8, 0xff, 0xe0}, CreateTime: at(time.Second)}
	mustWrite(t, s, func(tx pay.Tx) error {
		if err := tx.InsertImage(ctx, png); err != nil {
			return err
		}
		return tx.InsertImage(ctx, jpg)
	})

	for _, want := range []*pay.Image{png, jpg} {
		got := mustRead(t, s, func(tx pay.Tx) (*pay.Image, error) { return tx.Image(ctx, want.MediaID) })
		checkEqual(t, "Image("+want.MediaID+")", want, got)
	}

	_, err := read(t, s, func(tx pay.Tx) (*pay.Image, error) { return tx.Image(ctx, "unknown") })
	checkErr(t, "Image(unknown)", err, pay.ErrNotFound)

	dup := *jpg
	dup.Mchid = "1900000999"
	err = write(t, s, func(tx pay.Tx) error { return tx.InsertImage(ctx, &dup) })
	checkErr(t, "InsertImage(same media_id)", err, pay.ErrDuplicate)
}

func testComplaintNotifyURL(t *testing.T, s pay.Store) {
	ctx := t.Context()
	const mchid, other = "1900000109", "1900000110"
	get := func(mchid string) (string, error) {
		return read(t, s, func(tx pay.Tx) (string, error) { return tx.ComplaintNotifyURL(ctx, mchid) })
	}

	got, err := get(mchid)
	checkErr(t, "ComplaintNotifyURL(unset)", err, pay.ErrNotFound)
	if got != "" {
		t.Errorf("ComplaintNotifyURL(unset) = %q, want \"\"", got)
	}
	err = write(t, s, func(tx pay.Tx) error { return tx.DeleteComplaintNotifyURL(ctx, mchid) })
	checkErr(t, "DeleteComplaintNotifyURL(unset)", err, pay.ErrNotFound)

	// Put both creates and replaces.
	for _, url := range []string{"https://merchant.example/complaints", "https://merchant.example/v2/complaints"} {
		mustWrite(t, s, func(tx pay.Tx) error { return tx.PutComplaintNotifyURL(ctx, mchid, url) })
		if got, err := get(mchid); err != nil || got != url {
			t.Errorf("ComplaintNotifyURL after PutComplaintNotifyURL(%q) = %q, %v; want %q, nil", url, got, err, url)
		}
	}
	otherURL := "https://other.example/complaints"
	mustWrite(t, s, func(tx pay.Tx) error { return tx.PutComplaintNotifyURL(ctx, other, otherURL) })

	mustWrite(t, s, func(tx pay.Tx) error { return tx.DeleteComplaintNotifyURL(ctx, mchid) })
	_, err = get(mchid)
	checkErr(t, "ComplaintNotifyURL after DeleteComplaintNotifyURL", err, pay.ErrNotFound)
	err = write(t, s, func(tx pay.Tx) error { return tx.DeleteComplaintNotifyURL(ctx, mchid) })
	checkErr(t, "DeleteComplaintNotifyURL twice", err, pay.ErrNotFound)

	if got, err := get(other); err != nil || got != otherURL {
		t.Errorf("ComplaintNotifyURL(other) after deleting %s's = %q, %v; want %q, nil", mchid, got, err, otherURL)
	}
}
