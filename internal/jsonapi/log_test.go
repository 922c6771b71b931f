package jsonapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

// Ensure a line logged with a request's context carries its request_id beside the
// logger's own attributes, and a line logged without one carries none.
func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("node", "n1")
	ctx := WithExchange(context.Background(), &Exchange{RequestID: "n1:ABC-123"})

	log.InfoContext(ctx, "request refused", "code", "SIGN_ERROR")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", buf.String(), err)
	}
	if line["request_id"] != "n1:ABC-123" || line["node"] != "n1" || line["code"] != "SIGN_ERROR" {
		t.Errorf("log line = %v, want request_id, node and code", line)
	}

	buf.Reset()
	log.Info("shutting down")
	if bytes.Contains(buf.Bytes(), []byte("request_id")) {
		t.Errorf("log line without a request = %q, want no request_id", buf.String())
	}
}
