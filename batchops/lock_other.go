//go:build !unix

package batchops

// locked runs fn; without flock there is no lock between processes here.
func (st *state) locked(fn func() error) error { return fn() }
