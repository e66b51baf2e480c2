// Package layering holds one test: that the packages keep the layers
// DESIGN.md draws (checkpoint knows nothing of AWS; inventory does not
// reach into engine; run and report never import the CLI or its flag
// library; nothing imports the CLI). It has no code of its own.
package layering
