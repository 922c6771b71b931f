package fault

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Apply acts out a decision around a handler: the latency first (cut short when the
// client gives up), then a dropped connection or the error answer instead of the handler,
// or the handler and a dropped connection after it. A fault answer comes before the
// handler and so changes nothing.
func Apply[T any](ctx context.Context, log *slog.Logger, d Decision, api, mchid string, handle func() (T, error)) (T, error) {
	var zero T
	if d.By != "" {
		log.InfoContext(ctx, "fault injected", "by", d.By, "api", api, "mchid", mchid,
			"error", d.Error, "latency", d.Latency, "drop", d.Drop, "drop_after", d.DropAfter)
	}
	if d.Latency > 0 {
		t := time.NewTimer(d.Latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			dropConnection() // the client gave up; there is no one to answer
		}
	}
	switch {
	case d.Drop:
		dropConnection()
	case d.Err != nil:
		return zero, d.Err
	}
	out, err := handle()
	if d.DropAfter {
		dropConnection()
	}
	return out, err
}

// dropConnection closes the connection without an answer: net/http's way to abort a
// handler is this panic, which the listener's middleware passes on. The client sees a
// transport error, as after a timeout. Go's own client retries a GET or HEAD dropped on a
// reused connection once by itself, so drops show reliably on POST.
func dropConnection() {
	panic(http.ErrAbortHandler)
}
