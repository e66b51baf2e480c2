//go:build !linux

package s3test

import "os/exec"

func setProcAttr(cmd *exec.Cmd) {}

func terminate(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

func forceKill(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
