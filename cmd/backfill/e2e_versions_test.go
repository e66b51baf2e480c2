package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// versionRows are the inventory rows of a versioned bucket, as S3
// Inventory writes them: by key, each key's versions newest first, delete
// markers included.
func (e *env) versionRows(bucket string) []invRow {
	e.t.Helper()
	out, err := e.client.ListObjectVersions(e.t.Context(), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		e.t.Fatal(err)
	}
	var rows []invRow
	for _, v := range out.Versions {
		rows = append(rows, invRow{key: aws.ToString(v.Key), version: aws.ToString(v.VersionId), latest: boolText(aws.ToBool(v.IsLatest)),
			size: aws.ToInt64(v.Size), etag: aws.ToString(v.ETag), modified: aws.ToTime(v.LastModified)})
	}
	for _, m := range out.DeleteMarkers {
		rows = append(rows, invRow{key: aws.ToString(m.Key), version: aws.ToString(m.VersionId), latest: boolText(aws.ToBool(m.IsLatest)),
			marker: "true", modified: aws.ToTime(m.LastModified)})
	}
	// By key; within a key, newest first (the current version first).
	sortRows(rows)
	return rows
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func sortRows(rows []invRow) {
	less := func(a, b invRow) bool {
		if a.key != b.key {
			return a.key < b.key
		}
		if (a.latest == "true") != (b.latest == "true") {
			return a.latest == "true"
		}
		return a.modified.After(b.modified)
	}
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && less(rows[j], rows[j-1]); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// replicaHistory is the bodies of a key's versions in the replica, oldest
// first.
func (e *env) replicaHistory(bucket, key string) []string {
	e.t.Helper()
	out, err := e.client.ListObjectVersions(e.t.Context(), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	if err != nil {
		e.t.Fatal(err)
	}
	var bodies []string
	for _, v := range out.Versions {
		if aws.ToString(v.Key) != key {
			continue
		}
		g, err := e.client.GetObject(e.t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: v.VersionId})
		if err != nil {
			e.t.Fatal(err)
		}
		b := make([]byte, 64)
		n, _ := g.Body.Read(b)
		g.Body.Close()
		bodies = append([]string{string(b[:n])}, bodies...)
	}
	return bodies
}

func TestInventoryAllVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	src, dst := e.srv.NewBucket(t, true), e.srv.NewBucket(t, true)
	// Each put a second apart: S3 dates have whole seconds, and the order
	// of a key's versions is by date.
	put := func(bucket, key, body string) {
		if _, err := e.client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, body := range []string{"one", "two", "three"} {
		put(src, "shot.exr", body)
		put(src, "dir/take b.exr", "take "+body)
		time.Sleep(1100 * time.Millisecond)
	}
	put(src, "solo.exr", "solo")
	put(src, "deleted.exr", "old cut")
	put(src, "stranger.exr", "s1")
	put(src, "stranger.exr", "s2")
	if _, err := e.client.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(src), Key: aws.String("deleted.exr")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	put(dst, "stranger.exr", "written in the replica after the source's versions")

	// Inventory data files are not sorted: a key's versions are spread
	// over two files, in no order.
	var files [2]strings.Builder
	rows := e.versionRows(src)
	for i := range rows {
		files[i%2].WriteString(rows[(i*7)%len(rows)].csvLine(src))
	}
	if len(rows)%7 == 0 {
		t.Fatal("the row shuffle needs a row count prime to 7")
	}
	manifest, _ := writeInventory(t, e.dir, src, "2026-11-23T01-00Z", [][]byte{gz(files[0].String()), gz(files[1].String())}, "CSV", invSchema)
	rep := filepath.Join(e.dir, "r.json")
	args := func(extra ...string) []string {
		return append([]string{"copy", "--from", "s3://" + src, "--to", "s3://" + dst, "--no-progress", "--inventory", manifest,
			"--all-versions", "--report", rep}, extra...)
	}

	r := e.run(args("--checkpoint", filepath.Join(e.dir, "cp.db"))...)
	mustCode(t, r, 0)
	rf := readReport(t, rep)
	// shot 3 + take 3 + solo 1; deleted.exr's one version; stranger's two.
	if rf.Copied != 7 || rf.Skipped["delete-marker"] != 1 || rf.Skipped["newer-in-replica"] != 2 || len(rf.Failed) != 0 {
		t.Errorf("report %+v\n%s", rf, r.stderr)
	}
	for key, want := range map[string]string{"shot.exr": "one two three", "dir/take b.exr": "take one,take two,take three", "solo.exr": "solo"} {
		sep := " "
		if strings.Contains(want, ",") {
			sep = ","
		}
		if got := strings.Join(e.replicaHistory(dst, key), sep); got != want {
			t.Errorf("replica history of %s: %q, want %q (oldest first)", key, got, want)
		}
	}
	if h := e.replicaHistory(dst, "deleted.exr"); len(h) != 0 {
		t.Errorf("a key deleted in the source was brought back: %v", h)
	}
	if h := e.replicaHistory(dst, "stranger.exr"); len(h) != 1 {
		t.Errorf("older versions slid under the replica's newer object: %v", h)
	}

	// Resumed with its checkpoint: every partition is finished, nothing is
	// looked at again.
	r = e.run(args("--checkpoint", filepath.Join(e.dir, "cp.db"))...)
	mustCode(t, r, 0)
	if rf := readReport(t, rep); rf.Copied != 0 || rf.Listed != 0 {
		t.Errorf("resumed finished job: %+v", rf)
	}

	// Again without the checkpoint: the replica's version lists say it
	// is all there.
	r = e.run(args("--no-checkpoint")...)
	mustCode(t, r, 0)
	if rf := readReport(t, rep); rf.Copied != 0 || rf.Skipped["exists"] != 7 {
		t.Errorf("second run: %+v", rf)
	}
	if c := e.proxy.Counts(); c["CopyObject"] != 7 {
		t.Errorf("copies over both runs: %v", c)
	}

	// Without --all-versions, the current versions only.
	dst2 := e.srv.NewBucket(t, true)
	r = e.run("copy", "--from", "s3://"+src, "--to", "s3://"+dst2, "--no-progress", "--inventory", manifest, "--no-checkpoint", "--report", rep)
	mustCode(t, r, 0)
	if rf := readReport(t, rep); rf.Copied != 4 {
		t.Errorf("current versions only: %+v", rf)
	}
	if got := e.replicaHistory(dst2, "shot.exr"); len(got) != 1 || got[0] != "three" {
		t.Errorf("replica of shot.exr: %v", got)
	}
	if r := e.run("copy", "--from", "s3://"+src, "--to", "s3://"+dst2, "--all-versions", "--no-checkpoint"); r.code != 2 {
		t.Errorf("--all-versions without --inventory: exit %d", r.code)
	}
}

// TestInventoryAllVersionsNullVersion: a key written before versioning was
// enabled keeps a null version (an empty VersionId in the inventory); it is
// copied as versionId=null, before the newer versions.
func TestInventoryAllVersionsNullVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	src, dst := e.srv.NewBucket(t, false), e.srv.NewBucket(t, true)
	put := func(body string) {
		if _, err := e.client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(src), Key: aws.String("k.exr"), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	put("before versioning")
	if _, err := e.client.PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: aws.String(src),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	put("after")
	rows := e.versionRows(src)
	var data strings.Builder
	nulls := 0
	for _, r := range rows {
		if r.version == "null" {
			r.version = "" // as S3 Inventory writes the null version
		}
		if r.version == "" {
			nulls++
		}
		data.WriteString(r.csvLine(src))
	}
	if len(rows) != 2 || nulls != 1 {
		t.Fatalf("versions %+v: want a null version and another", rows)
	}
	manifest, _ := writeInventory(t, e.dir, src, "2026-11-23T01-00Z", [][]byte{gz(data.String())}, "CSV", invSchema)
	rep := filepath.Join(e.dir, "r.json")
	r := e.run("copy", "--from", "s3://"+src, "--to", "s3://"+dst, "--no-progress", "--inventory", manifest, "--all-versions", "--no-checkpoint", "--report", rep)
	mustCode(t, r, 0)
	if got := strings.Join(e.replicaHistory(dst, "k.exr"), ","); got != "before versioning,after" {
		t.Errorf("replica history %q\n%s", got, r.stderr)
	}
}
