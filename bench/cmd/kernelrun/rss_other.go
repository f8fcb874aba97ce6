//go:build !unix

package main

// selfPeakRSSMiB is 0 where the system has no getrusage.
func selfPeakRSSMiB() float64 { return 0 }
