package storetest

import (
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestSettings checks SettingTx on a fresh store from open.
func TestSettings(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("Setting", func(t *testing.T) { testSetting(t, open(t)) })
}

func testSetting(t *testing.T, s pay.Store) {
	ctx := t.Context()
	get := func(tx pay.Tx) (string, error) { return tx.Setting(ctx, "sandbox.token") }

	got, err := read(t, s, get)
	checkErr(t, "Setting(unset)", err, pay.ErrNotFound)
	if got != "" {
		t.Errorf("Setting(unset) = %q, want \"\"", got)
	}

	for _, want := range []string{"first", "second", ""} {
		mustWrite(t, s, func(tx pay.Tx) error { return tx.PutSetting(ctx, "sandbox.token", want) })
		if got := mustRead(t, s, get); got != want {
			t.Errorf("Setting after PutSetting(%q) = %q", want, got)
		}
	}

	other, err := read(t, s, func(tx pay.Tx) (string, error) { return tx.Setting(ctx, "other") })
	checkErr(t, "Setting(other key)", err, pay.ErrNotFound)
	if other != "" {
		t.Errorf("Setting(other key) = %q, want \"\"", other)
	}
}
