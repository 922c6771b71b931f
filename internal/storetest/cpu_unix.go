//go:build unix

package storetest

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU time from now to the end of b, per op divided
// by per, as unit: a steadier figure than ns/op on a machine shared with other work, and
// one that leaves out waiting for the disk.
func reportCPU(b *testing.B, per int, unit string) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N*per), unit)
	}
}
