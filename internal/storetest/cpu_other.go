//go:build !unix

package storetest

import "testing"

// ReportCPU reports nothing where the process's CPU time is not at hand.
func ReportCPU(*testing.B) func() { return func() {} }
