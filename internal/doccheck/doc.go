// Package doccheck holds tests that keep the README true to the
// repository: every file or folder it names exists, every `make` target it
// gives is in the Makefile, its Go version is go.mod's, and its filter
// example excludes what its prose says. It has no code of its own.
package doccheck
