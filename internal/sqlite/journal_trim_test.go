package sqlite

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestTrimJournalSecureDelete checks that the journal's trim leaves secure_delete as
// the connection's pragmas set it, whether the trim and its transaction succeed or not:
// the other tables' deleted values must still be zeroed after it.
func TestTrimJournalSecureDelete(t *testing.T) {
	ctx := t.Context()
	s, err := Open(filepath.Join(t.TempDir(), "tuikuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rollBack := errors.New("roll back")
	for _, keep := range []int{1, 0, -1} {
		err := s.Update(ctx, func(tx pay.Tx) error {
			if err := tx.InsertJournalEntries(ctx, []*pay.JournalEntry{{Method: "POST", Target: "/"}}); err != nil {
				return err
			}
			if _, err := tx.TrimJournal(ctx, keep); err != nil {
				return err
			}
			return rollBack
		})
		if keep >= 0 && !errors.Is(err, rollBack) {
			t.Errorf("Update with TrimJournal(%d) = %v, want %v", keep, err, rollBack)
		}
		var on int
		if err := s.write.QueryRowContext(ctx, "PRAGMA secure_delete").Scan(&on); err != nil {
			t.Fatal(err)
		}
		if on != 1 {
			t.Errorf("secure_delete after TrimJournal(%d) = %d, want 1", keep, on)
		}
	}
}
