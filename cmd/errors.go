package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Exit codes of the mlops binary.
const (
	ExitOK        = 0
	ExitError     = 1
	ExitUsage     = 2
	ExitCancelled = 130
)

// UsageError is a mistake in the command line: a bad flag value, a missing argument.
// It exits with ExitUsage and points at --help.
type UsageError struct {
	Err error
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usageErrorf returns a UsageError with a formatted message.
func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ErrSilent is an error the command has already reported; Main only sets the exit code.
var ErrSilent = errors.New("silent error")

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	var usage *UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitCancelled
	case errors.As(err, &usage):
		return ExitUsage
	default:
		return ExitError
	}
}

// oneLine flattens an error message to one line so that users never get a multi-line
// dump; wrapped library errors sometimes contain newlines.
func oneLine(msg string) string {
	fields := strings.Fields(msg)
	return strings.Join(fields, " ")
}
