package stack

import "errors"

// Errors that callers test with errors.Is, for example to pick an exit code.
var (
	// ErrNotOwned means an object with a planned name lacks this project's
	// label, so mlops left it alone.
	ErrNotOwned = errors.New("object not owned by the project")
	// ErrImageUnavailable means an image is neither local nor pullable.
	ErrImageUnavailable = errors.New("image not available")
)

// messageError shows its own message but unwraps to a sentinel or cause,
// so that a one-line message can still be tested with errors.Is.
type messageError struct {
	msg string
	err error
}

func (e *messageError) Error() string { return e.msg }

func (e *messageError) Unwrap() error { return e.err }
