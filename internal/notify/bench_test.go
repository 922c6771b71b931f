package notify_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/notify"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// BenchmarkDeliver times the delivery of b.N owed refund notifications over a SQLite
// store to local receivers, which answer 200 at once: what is left is tuikuan's own
// cost per delivery (render, encrypt, sign, POST, record).
//
//	go test ./internal/notify -run '^$' -bench Deliver -benchtime 3000x
//
// BENCH_WORKERS and BENCH_PER_URL set the pool (default: the Deliverer's defaults);
// BENCH_PROF=file writes a CPU profile of the deliveries alone, which -cpuprofile
// would mix with making the refunds.
func BenchmarkDeliver(b *testing.B) {
	for _, urls := range []int{16, 1} {
		b.Run(fmt.Sprintf("urls=%d", urls), func(b *testing.B) { benchDeliver(b, urls) })
	}
}

func benchDeliver(b *testing.B, urls int) {
	f := newFixture(b)
	var got atomic.Int64
	done := make(chan struct{})
	want := int64(b.N)
	var addrs []string
	for range urls {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			if got.Add(1) == want {
				close(done)
			}
		}))
		b.Cleanup(srv.Close)
		addrs = append(addrs, srv.URL)
	}
	for i := range b.N {
		f.owe(b, addrs[i%len(addrs)])
	}
	workers, _ := strconv.Atoi(os.Getenv("BENCH_WORKERS"))
	perURL, _ := strconv.Atoi(os.Getenv("BENCH_PER_URL"))
	d := notify.New(notify.Config{Service: f.svc, Platform: f.platform, Workers: workers, PerURL: perURL})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	if p := os.Getenv("BENCH_PROF"); p != "" {
		pf, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	go func() { d.Run(ctx); close(stopped) }()
	<-done
	received := time.Since(start)
	// A delivery is done once its attempt is recorded: poll the store until none is
	// pending. The poll is a cheap indexed count, a small load next to the deliveries.
	for {
		n, err := f.svc.Notifications.Count(context.Background(), pay.NotifyPending)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	recorded := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	cancel()
	<-stopped
	b.ReportMetric(float64(b.N)/recorded.Seconds(), "deliveries/s")
	b.ReportMetric(float64(b.N)/received.Seconds(), "received/s")
	// The machine may be shared: CPU per delivery (this process's, receivers included)
	// says what the deliveries cost whatever else runs, and 2 cores ÷ it what they could reach.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/delivery")
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
