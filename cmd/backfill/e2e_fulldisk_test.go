//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The full disk under the checkpoint, two ways:
//   - tmpfs: the checkpoint's folder is a tmpfs mounted with a few hundred
//     KiB (writes fail with ENOSPC, "no space left on device"); room comes
//     back with a remount. It needs root (CAP_SYS_ADMIN), which the test
//     machines and CI have: without it the test fails saying so.
//   - fsize: the binary runs with RLIMIT_FSIZE (SIGXFSZ is ignored by Go
//     programs, so growing the file fails with EFBIG, "file too large").
//     The test binary itself is the launcher (fsizeLauncher): it sets the
//     limit and execs backfill. No privilege and no tool is needed.

// fsizeEnv, in the test binary's environment, makes it a launcher: it
// sets RLIMIT_FSIZE to the value (bytes) and execs its arguments.
const fsizeEnv = "BACKFILL_TEST_FSIZE_LIMIT"

func init() { fsizeLauncher() }

// fsizeLauncher runs before the tests (and before TestMain): when the
// test binary was started as a launcher, it never returns.
func fsizeLauncher() {
	limit := os.Getenv(fsizeEnv)
	if limit == "" {
		return
	}
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "fsize launcher: %v\n", err)
		os.Exit(127)
	}
	n, err := strconv.ParseUint(limit, 10, 64)
	if err != nil || len(os.Args) < 2 {
		fail(fmt.Errorf("%s=%q, args %q", fsizeEnv, limit, os.Args))
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
		fail(err)
	}
	fail(syscall.Exec(os.Args[1], os.Args[1:], withoutEnv(os.Environ(), fsizeEnv)))
}

// smallDisk is where a test puts a checkpoint that runs out of room.
type smallDisk struct {
	dir   string
	cause string          // what the error says
	wrap  func(*exec.Cmd) // runs a command on the small disk
	room  func()          // gives the disk room again
}

// newSmallDisk gives about size bytes of room; with size 0, none at all
// (not even for an empty checkpoint).
func newSmallDisk(t *testing.T, kind string, size int) *smallDisk {
	t.Helper()
	d := &smallDisk{dir: t.TempDir(), wrap: func(*exec.Cmd) {}}
	switch kind {
	case "tmpfs":
		d.cause = "no space left on device"
		if err := syscall.Mount("tmpfs", d.dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", max(size, 4096))); err != nil {
			t.Fatalf("the full-disk test mounts a small tmpfs, which needs root with CAP_SYS_ADMIN: mount -t tmpfs: %v", err)
		}
		t.Cleanup(func() {
			if err := syscall.Unmount(d.dir, syscall.MNT_DETACH); err != nil {
				t.Errorf("unmount %s: %v", d.dir, err)
			}
		})
		if size == 0 { // fill it
			if err := os.WriteFile(filepath.Join(d.dir, "filler"), make([]byte, 4096), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		d.room = func() {
			if err := syscall.Mount("tmpfs", d.dir, "tmpfs", syscall.MS_REMOUNT, "size=64m"); err != nil {
				t.Fatalf("remount %s bigger: %v", d.dir, err)
			}
		}
	case "fsize":
		d.cause = "file too large"
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		limited := true
		d.wrap = func(cmd *exec.Cmd) {
			if limited {
				cmd.Args = append([]string{self}, cmd.Args...)
				cmd.Args[1] = cmd.Path
				cmd.Path = self
				cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", fsizeEnv, size))
			}
		}
		d.room = func() { limited = false }
	default:
		t.Fatalf("no small disk %q", kind)
	}
	return d
}

func (d *smallDisk) run(e *env, args ...string) result {
	e.t.Helper()
	cmd := e.command(args...)
	d.wrap(cmd)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run backfill: %v", err)
	}
	return result{stdout: so.String(), stderr: se.String(), code: code}
}

// TestFullDiskUnderCheckpoint: a checkpoint that cannot be written stops
// the run at once (exit 1) with an error naming the file and the cause;
// on a disk with no room at all nothing is copied. Stopped mid-run, the
// checkpoint opens afterwards (status works) and records done only
// objects the replica holds; once the disk has room again the same
// command resumes without copying those again and the replica ends equal
// to the primary.
func TestFullDiskUnderCheckpoint(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"tmpfs", "fsize"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t)
			const n = 800 // the 96 KiB checkpoint fills at about 200
			e.put(e.src, mediaObjects(n-1)...)
			e.putLarge("movies/b.mov", 12<<20) // copied in parts

			// No room for even an empty checkpoint: refused before any copy.
			none := newSmallDisk(t, kind, 0)
			fresh := filepath.Join(none.dir, "fresh.db")
			r := none.run(e, e.copyArgs("--checkpoint", fresh)...)
			mustCode(t, r, 1)
			if !strings.Contains(r.stderr, fresh) || !strings.Contains(r.stderr, none.cause) {
				t.Errorf("no room for the checkpoint: the error does not name %s and %q:\n%s", fresh, none.cause, r.stderr)
			}
			if c := e.proxy.Count("CopyObject"); c != 0 {
				t.Errorf("%d copies without a checkpoint to record them", c)
			}

			// Room for part of the job.
			d := newSmallDisk(t, kind, 96<<10)
			cp := filepath.Join(d.dir, "media.db")
			args := e.copyArgs(append(mpFlags, "--concurrency", "16", "--checkpoint", cp)...)
			r = d.run(e, args...)
			t.Logf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			mustCode(t, r, 1)
			if !strings.Contains(r.stderr, cp) || !strings.Contains(r.stderr, d.cause) || !strings.Contains(r.stderr, "run the same command again") {
				t.Errorf("the error does not name %s and %q, and say what to do:\n%s", cp, d.cause, r.stderr)
			}
			e.noUploads(e.dst)
			done := e.doneAreInReplica(cp)
			if st := e.status(cp); st.Done != int64(len(done)) || st.Failed != 0 || len(done) >= n {
				t.Errorf("status after the full disk: done %d (%d records), failed %d", st.Done, len(done), st.Failed)
			}

			d.room()
			e.proxy.Reset()
			mustCode(t, d.run(e, args...), 0)
			for _, req := range e.proxy.Requests() {
				if _, ok := done[req.Key]; ok && req.Op == "CopyObject" {
					t.Errorf("%q, recorded done, copied again", req.Key)
				}
			}
			e.replicaEqualsPrimary()
			e.noUploads(e.dst)
			if st := e.status(cp); st.Done != n || st.Failed != 0 || !st.Complete {
				t.Errorf("status after the resume: done %d, failed %d, listing complete %v", st.Done, st.Failed, st.Complete)
			}
		})
	}
}
