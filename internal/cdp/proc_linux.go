package cdp

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcAttr starts the browser in a process group of its own, so that
// killTree reaches the helpers it forks (zygotes, renderers, the network
// service), and has the kernel kill it if the test process dies first.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killTree kills the browser's process group.
func killTree(p *os.Process) {
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		p.Kill()
	}
}
