// Package extsort sorts more records than fit in memory, on local disk,
// in memory that does not grow with the number of records, and
// merge-joins two sorted streams by key (JoinByKey). It is what the
// features that join an unsorted S3 Inventory with another stream build
// on: copy --dest-inventory (the source's inventory against the
// replica's) and verify (inventory against inventory, or against a
// sorted listing).
//
// It takes a compare func (as slices.SortFunc takes) and a Codec that
// turns a record into bytes and back:
//
//	s, err := extsort.New(cmp, codec, extsort.Options{})
//	defer s.Close()
//	for each row: if err := s.Add(row); err != nil { return err }
//	for v, err := range s.Sorted(ctx) { if err != nil { return err }; use(v) }
//
// Contract:
//   - Bounded memory. The buffered records stay within Options.MemoryBytes,
//     each counting its encoded size plus RecordOverhead (the size of the
//     record plus 20 bytes by default, which overcounts strings and
//     numbers). A merge adds, per open run, a read buffer (BufferBytes) and
//     one decoded record, for at most FanIn runs, and one write buffer:
//     memory is MemoryBytes + (FanIn+1) × BufferBytes (68 MiB at the
//     defaults) plus the largest record, whatever the number of records.
//   - Stable order. Records that compare equal come out in the order they
//     were added, across runs and merges.
//   - Private temp files, removed. Runs live in a directory made by
//     os.MkdirTemp (0700) under Options.Dir, files 0600, never synced. The
//     directory is removed when the iteration ends (done, error or break)
//     and by Close, which also drops the records in memory; callers defer
//     Close. Nothing touches the disk when everything fits in memory.
//   - Checked. Each record carries a CRC-32C and each run a trailer with
//     its record count, so a damaged or truncated run file is a *RunError
//     naming the file (errors.Is ErrCorrupt), never a wrong or lost record.
//   - Stoppable. A done ctx or a Close ends the iteration within 1024
//     records, with ctx.Err() or ErrClosed; breaking out of the loop is a
//     clean early stop.
//
// Algorithm:
//
//	Add(v):  if buffered + cost(v) > budget: spill
//	         append v to the buffer
//	spill:   sort the buffer's indexes, ties by index (stable)
//	         write the records in that order as the next run file
//	Sorted:  sort the buffer (the tail, which stays in memory)
//	         if there are no runs: yield the tail; done
//	         while runs + tail > fan-in:
//	             merge k contiguous runs into one run in their place, walking
//	             down the list; k = the fewest that gets to fan-in, <= fan-in
//	         k-way merge runs and tail with container/heap, ties to the older
//	         source; yield each record
//	         remove the temp directory
//
// Cost: a spilled record is encoded twice (once at Add to measure it).
// With R runs and fan-in F the runs are merged in about ⌈log_F R⌉ passes,
// the last being the final merge, which only reads; each pass writes and
// reads each record at most once. At the defaults (runs of 64 MiB as the
// budget counts records, fan-in 64) one pass covers about 4 GiB and two
// about 256 GiB. The disk holds the records once, and during a merge also
// the run it is writing.
//
// What it never does: start a goroutine, hold more than FanIn run files
// open, keep a file after the iteration or Close, or sort silently wrong.
// A Sorter is not safe for concurrent use and sorts once. JoinByKey never
// pairs records by keys out of order: an input whose keys do not strictly
// ascend ends the join with an *OrderError.
package extsort
