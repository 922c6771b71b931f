package pay

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

type complaintResourceJSON struct {
	ComplaintID string `json:"complaint_id"`
	ActionType  string `json:"action_type"`
}

// checkComplaintResource checks that the resource is a JSON object giving back id and
// action (invalid UTF-8 comes back as U+FFFD, as encoding/json writes it).
func checkComplaintResource(t *testing.T, id, action string) {
	t.Helper()
	got := complaintResource(id, action)
	var r complaintResourceJSON
	if err := json.Unmarshal([]byte(got), &r); err != nil {
		t.Fatalf("complaintResource(%q, %q) = %s, not JSON: %v", id, action, got, err)
	}
	if !utf8.ValidString(id) || !utf8.ValidString(action) {
		return
	}
	if diff := cmp.Diff(complaintResourceJSON{id, action}, r); diff != "" {
		t.Errorf("complaintResource(%q, %q) = %s, mismatch (-want +got):\n%s", id, action, got, diff)
	}
}

func TestComplaintResource(t *testing.T) {
	tests := []struct{ name, id, action string }{
		{"Digits", "200220250601000000000000001", "CREATE_COMPLAINT"},
		{"Quote", `2002"1`, "CONTINUE_COMPLAINT"},
		{"Backslash", `2002\1`, "USER_RESPONSE"},
		{"Delete", "2002\x7f", "CREATE_COMPLAINT"},
		{"Bell", "2002\a", "CREATE_COMPLAINT"},
		{"NUL", "2002\x00", "CREATE_COMPLAINT"},
		{"Chinese", "投诉2002", "CREATE_COMPLAINT"},
		{"LineSeparator", "2002\u2028", "CREATE_COMPLAINT"},
		{"NonBMP", "2002\U0001F600", "CREATE_COMPLAINT"},
		{"InvalidUTF8", "2002\xff", "CREATE_COMPLAINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkComplaintResource(t, tt.id, tt.action) })
	}
}

func FuzzComplaintResource(f *testing.F) {
	f.Add("200220250601000000000000001", "CREATE_COMPLAINT")
	f.Add("2002\x7f", "\a")
	f.Fuzz(checkComplaintResource)
}
