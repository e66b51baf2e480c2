package inventory

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

func TestSpilledRowRoundTrip(t *testing.T) {
	rows := []InventoryRow{
		{Bucket: "b", Key: "a/ü b+c.exr", VersionID: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", IsLatest: true, Size: 1 << 40, ETag: `"abc-2"`,
			LastModified: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), StorageClass: "INTELLIGENT_TIERING", ReplicationStatus: "FAILED",
			IntelligentTieringAccessTier: "ARCHIVE_ACCESS", Line: 7},
		{Bucket: "b", Key: "x", IsDeleteMarker: true, Line: 8},
	}
	var b []byte
	for i, r := range rows {
		b = encodeRow(b, r, i)
	}
	rd := bufio.NewReader(bytes.NewReader(b))
	for i, want := range rows {
		got, err := decodeRow(rd)
		if err != nil {
			t.Fatal(err)
		}
		if got.row != want || got.file != i || got.seq != want.Line {
			t.Errorf("row %d: got %+v, want %+v", i, got, want)
		}
	}
	if _, err := decodeRow(rd); !errors.Is(err, io.EOF) {
		t.Errorf("after the last row: %v", err)
	}
	cut := bufio.NewReader(bytes.NewReader(b[:len(b)-3]))
	if _, err := decodeRow(cut); err != nil {
		t.Fatal(err)
	}
	if _, err := decodeRow(cut); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("a cut row: %v, want an unexpected EOF", err)
	}
}

func TestPartitions(t *testing.T) {
	for n, want := range map[int]int{0: 1, 1: 1, rowsPerPartition: 1, rowsPerPartition + 1: 2, 100_000_000: 512} {
		if got := partitions(n); got != want {
			t.Errorf("partitions(%d) = %d, want %d", n, got, want)
		}
	}
}
