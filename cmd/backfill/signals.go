package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/backfill-dev/backfill/run"
)

// withSignals returns a context cancelled by a second Ctrl-C or SIGTERM,
// and ctl, which the first one stops gracefully: the copies in flight
// finish, no new ones start. Before the copy begins (nothing in flight)
// the first signal cancels at once. stop ends the handling.
//
// Ctrl-C comes from a terminal, SIGTERM from a supervisor (systemd, kill,
// a container runtime): the message names the signal that came.
func withSignals(ctx context.Context, stderr io.Writer) (_ context.Context, ctl *run.Control, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	ctl = &run.Control{}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			var sig os.Signal
			select {
			case sig = <-sigs:
			case <-done:
				return
			}
			if n++; n == 1 && ctl.Stop() {
				fmt.Fprintf(stderr, "\nbackfill: %s\n", interruptMessage(sig))
			} else {
				cancel()
			}
		}
	}()
	return ctx, ctl, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

// interruptMessage says what the first signal does, and how to abort.
func interruptMessage(sig os.Signal) string {
	if sig == os.Interrupt {
		return "interrupted (Ctrl-C): finishing the copies in flight (Ctrl-C again to abort them)"
	}
	name := sig.String()
	if sig == syscall.SIGTERM {
		name = "SIGTERM"
	}
	return fmt.Sprintf("interrupted (%s): finishing the copies in flight (send %s again to abort them)", name, name)
}
