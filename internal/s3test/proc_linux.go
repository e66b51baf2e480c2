package s3test

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts versitygw in its own process group, and has the kernel kill
// it if the process that started it dies (a crashed or killed test binary must
// not leave servers behind).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func terminate(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }

func forceKill(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
