package extsort

import (
	"errors"
	"fmt"
	"iter"
)

// Errors of JoinByKey's order check, wrapped by an *OrderError.
var (
	// ErrUnsorted: an input's key is below the one before it.
	ErrUnsorted = errors.New("input is not in ascending key order")
	// ErrDuplicateKey: an input has the same key twice in a row.
	ErrDuplicateKey = errors.New("input repeats a key")
)

// OrderError says which input of JoinByKey broke the order, and where.
type OrderError struct {
	Input     string // "a" or "b", as JoinByKey names them
	Index     int64  // of the offending record in that input, from 0
	Prev, Key string // the key before it and its key
	Err       error  // ErrUnsorted or ErrDuplicateKey
}

func (e *OrderError) Error() string {
	return fmt.Sprintf("extsort: join input %s, record %d: %v: %q after %q", e.Input, e.Index, e.Err, e.Key, e.Prev)
}

// Unwrap returns e.Err.
func (e *OrderError) Unwrap() error { return e.Err }

// JoinByKey merge-joins two inputs sorted by strictly ascending key (byte
// order, as strings.Compare and S3 listings have it). A Sorter feeding it
// must order by the same key with strings.Compare; an input with several
// records per key (versions) must make them one key each (key and version
// id) or one record per key before the join. fn is called once
// per key of either input, in key order, with the record of each side or
// nil for a side that lacks the key. a and b point to the join's own
// copies, valid until fn returns.
//
// Each input's order is checked as it is read: a key below or equal to
// the one before it ends the join with an *OrderError (ErrUnsorted or
// ErrDuplicateKey), never a silent mismatch. A record is read when the
// join moves past the one before it in its input, so fn has been called
// for keys up to that earlier record's, never for the offending one. An input's error is returned wrapped with the input's name;
// fn's error is returned as is. Either way both inputs are stopped.
// Memory is one record per input.
func JoinByKey[A, B any](a iter.Seq2[A, error], b iter.Seq2[B, error],
	keyA func(A) string, keyB func(B) string, fn func(key string, a *A, b *B) error) error {
	ca := &cursor[A]{name: "a", key: keyA}
	cb := &cursor[B]{name: "b", key: keyB}
	var stopA, stopB func()
	ca.pull, stopA = iter.Pull2(a)
	defer stopA()
	cb.pull, stopB = iter.Pull2(b)
	defer stopB()
	if err := ca.advance(); err != nil {
		return err
	}
	if err := cb.advance(); err != nil {
		return err
	}
	for ca.ok || cb.ok {
		var err error
		switch {
		case !cb.ok || ca.ok && ca.k < cb.k:
			if err = fn(ca.k, &ca.v, nil); err == nil {
				err = ca.advance()
			}
		case !ca.ok || cb.k < ca.k:
			if err = fn(cb.k, nil, &cb.v); err == nil {
				err = cb.advance()
			}
		default:
			if err = fn(ca.k, &ca.v, &cb.v); err == nil {
				if err = ca.advance(); err == nil {
					err = cb.advance()
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// cursor is one input of a join: its current record and key.
type cursor[T any] struct {
	name string
	pull func() (T, error, bool)
	key  func(T) string
	v    T
	k    string
	ok   bool  // v is a record (false once the input ended)
	n    int64 // records read
}

// advance reads the next record and checks it comes after the last.
func (c *cursor[T]) advance() error {
	v, err, ok := c.pull()
	if !ok {
		var zero T
		c.v, c.ok = zero, false
		return nil
	}
	if err != nil {
		return fmt.Errorf("extsort: join input %s: %w", c.name, err)
	}
	k := c.key(v)
	if c.n > 0 && k <= c.k {
		e := &OrderError{Input: c.name, Index: c.n, Prev: c.k, Key: k, Err: ErrUnsorted}
		if k == c.k {
			e.Err = ErrDuplicateKey
		}
		return e
	}
	c.v, c.k, c.ok = v, k, true
	c.n++
	return nil
}
