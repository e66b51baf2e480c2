package exitcode

// Exit statuses (documented in the README and in each command's help).
const (
	OK          = 0   // every object was copied or skipped for a stated reason
	Failed      = 1   // the run failed
	Usage       = 2   // usage error
	Partial     = 3   // finished, but some objects failed
	Locked      = 4   // the checkpoint is held by another run
	Interrupted = 130 // interrupted (Ctrl-C, SIGTERM)
)

// Help is the EXIT STATUS section of each command's help.
const Help = `EXIT STATUS:
   0    every object was copied or skipped for a stated reason
   1    the run failed (credentials, missing bucket, access denied, ...)
   2    usage error (bad flag, bad URL, source overlapping destination)
   3    the run finished but some objects failed (see --report / --failures)
   4    the checkpoint is held by another run
   130  interrupted (Ctrl-C or SIGTERM): in-flight copies finished, the report
        written; a second signal aborts them`
