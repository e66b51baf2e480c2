package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestInterruptMessageNamesTheSignal(t *testing.T) {
	t.Parallel()
	if m := interruptMessage(os.Interrupt); !strings.Contains(m, "Ctrl-C again") {
		t.Errorf("Ctrl-C: %q", m)
	}
	m := interruptMessage(syscall.SIGTERM)
	if strings.Contains(m, "Ctrl-C") || !strings.Contains(m, "interrupted (SIGTERM)") || !strings.Contains(m, "SIGTERM again") {
		t.Errorf("SIGTERM: %q", m)
	}
}
