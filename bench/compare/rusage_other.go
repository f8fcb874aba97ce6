//go:build !unix

package main

import "os"

// maxRSSMiB is 0 where the platform gives no rusage.
func maxRSSMiB(*os.ProcessState) float64 { return 0 }
