// Package headers is the rule every bench's replica check applies to an
// object's user metadata and content headers: a copy keeps its source's when
// it has every key of the source's with the same value; keys it has beyond
// them are gained (rclone adds "mtime" when it sets a modification time),
// reported but not a failure.
package headers
