// Package run owns one backfill run from start to end, for every command
// that copies or looks at both sides (copy and plan today; verify and
// batchops next). It takes a Spec, the whole run description (locations,
// source, engine options, checkpoint, outputs, AWS settings), and knows
// nothing of the CLI library.
//
// A run, in order (Run):
//
//	validate the Spec                          usage errors: exit 2, nothing touched
//	open the checkpoint                        held by another run: exit 4
//	create the report and failures files       mode 0600, emptied: never last night's
//	                                           (a plan's report, the plan, is written
//	                                           at its end: only checked writable here)
//	connect both sides, check credentials,     (Env.Connect; fakes in tests)
//	  probe both buckets                       a run-level problem: exit 1, the error
//	                                           alone, and --report saying so
//	open the source (inventory.Open)           the whole input checked first
//	begin the job in the checkpoint            a different job: exit 2
//	run the engine with its progress display   Control.Stop: graceful stop
//	classify and report                        summary, --report, --failures
//
// Exit statuses (package internal/exitcode): 0 every object copied or
// skipped for a stated reason; 1 the run failed; 2 usage; 3 some objects
// failed (this run or earlier runs of the job); 4 the checkpoint is held;
// 130 interrupted. Run returns nil for 0, else an *ExitError: ExitCode
// gives the status, and Explained says the summary already said why (so
// the caller prints nothing more).
//
// The checkpoint reaches the sources only through inventory.State (an
// adapter here), so inventory never imports checkpoint. Each step is a
// function of a screen or less; a reader of Run sees the order above.
//
// Status and Cleanup are the two commands that read a checkpoint without
// running the engine. A plan is a dry run whose observer is the planner
// (planner.go), not the object printer; Spec.Advise adds advice to it
// (batchops: the cost of each way to copy, and a recommendation).
// Collect is the same dry run with the caller's observer and no output
// of its own: batchops writes its manifests from it.
//
// Errors are shown briefly (report.ErrorText: the SDK's request ids left
// out) unless the Spec asks for debug output, which also logs the SDK's
// requests and retries, redacted (awsconf.Options.DebugLog).
//
// Run never exits the process, never installs signal handlers (the CLI
// does, calling Control.Stop and cancelling the context), and never logs
// credentials.
package run
