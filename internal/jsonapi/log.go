package jsonapi

import (
	"context"
	"log/slog"
)

// LogHandler wraps h so that every line logged with a request's context carries that
// request's request_id, the ID its answer's Request-ID header holds: an operator finds
// every line of a request from the ID a merchant quotes. Lines logged outside a request
// (the workers, startup) are h's alone.
func LogHandler(h slog.Handler) slog.Handler {
	return logHandler{h}
}

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := ExchangeFrom(ctx).RequestID; id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.Handler.WithGroup(name)}
}
