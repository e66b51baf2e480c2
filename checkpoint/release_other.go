//go:build !linux

package checkpoint

// releaseMapped does nothing where it is not implemented (release_linux.go).
func (s *Store) releaseMapped() error { return nil }
