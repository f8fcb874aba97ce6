//go:build !linux

package cdp

import (
	"os"
	"os/exec"
)

func setProcAttr(cmd *exec.Cmd) {}

// killTree kills the browser's main process; its helpers end when they
// lose it.
func killTree(p *os.Process) { p.Kill() }
