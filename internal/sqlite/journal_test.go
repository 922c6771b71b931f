package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tuikuan/tuikuan/internal/storetest"
)

// BenchmarkJournal_Write writes the request journal in batches of 64 and 256 entries,
// trimmed after every batch and, as the journal's writer does, once a tenth of its
// length has come in.
func BenchmarkJournal_Write(b *testing.B) {
	for _, batch := range []int{64, 256} {
		for _, every := range []int{0, storetest.JournalKeep / 10} {
			b.Run(fmt.Sprintf("batch=%d/trim=%d", batch, every), func(b *testing.B) {
				storetest.BenchJournalWrite(b, mustOpen(b, filepath.Join(b.TempDir(), "tuikuan.db")), batch, every)
			})
		}
	}
}
