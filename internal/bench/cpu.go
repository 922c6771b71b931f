package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// cpuClock reads a target's CPU seconds so far; ok is false when it cannot be known.
type cpuClock func(ctx context.Context) (seconds float64, ok bool)

// metricsCPU reads process_cpu_seconds_total from a tuikuan's /metrics. A server without
// metrics (or behind a proxy that hides them) has no CPU figure, not an error.
func metricsCPU(c *http.Client, base string) cpuClock {
	return func(ctx context.Context) (float64, bool) {
		req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
		if err != nil {
			return 0, false
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, false
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(resp.Body)
		if err != nil {
			return 0, false
		}
		f := fams["process_cpu_seconds_total"]
		if f == nil || len(f.GetMetric()) == 0 {
			return 0, false
		}
		m := f.GetMetric()[0]
		if m.GetCounter() != nil {
			return m.GetCounter().GetValue(), true
		}
		return m.GetGauge().GetValue(), m.GetGauge() != nil
	}
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every Linux
// architecture Go supports (the kernel fixes it for user space whatever its own HZ).
const clockTicks = 100

// procCPU reads utime+stime of a local process from /proc/<pid>/stat.
func procCPU(pid int) cpuClock {
	return func(context.Context) (float64, bool) {
		s, err := procTicks(pid)
		return float64(s) / clockTicks, err == nil
	}
}

func procTicks(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces: count fields
	// after its closing one. utime and stime are fields 14 and 15.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	u, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, err
	}
	s, err := strconv.ParseInt(f[12], 10, 64)
	return u + s, err
}
