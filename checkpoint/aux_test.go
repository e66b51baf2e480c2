package checkpoint

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func TestAuxTables(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "cp.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Begin(Spec{"source": "s3://a"}, time.Now(), false); err != nil {
		t.Fatal(err)
	}
	b := NewBatch()
	for i := range 2500 {
		b.PutAux("diff", fmt.Sprintf("k%05d", i), []byte(fmt.Sprint(i)))
	}
	b.PutAux("state", "tally", []byte("{}"))
	if err := s.Apply(b); err != nil {
		t.Fatal(err)
	}
	b.DeleteAux("diff", "k00007")
	if err := s.Apply(b); err != nil {
		t.Fatal(err)
	}
	n, last := 0, ""
	err = s.EachAux("diff", func(k string, v []byte) error {
		if k <= last {
			t.Errorf("%q after %q", k, last)
		}
		last = k
		n++
		return nil
	})
	if err != nil || n != 2499 {
		t.Errorf("EachAux: %d records, %v", n, err)
	}
	if v, ok, err := s.Aux("state", "tally"); !ok || string(v) != "{}" || err != nil {
		t.Errorf("Aux: %q %v %v", v, ok, err)
	}
	if err := s.Begin(Spec{"source": "s3://b"}, time.Now(), true); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Aux("state", "tally"); ok {
		t.Error("a reset kept the aux tables")
	}
	if err := s.EachAux("none", func(string, []byte) error { return nil }); err != nil {
		t.Error(err)
	}
}
