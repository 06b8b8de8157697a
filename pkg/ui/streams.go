// Package ui renders mlops's terminal output: tables and JSON on stdout, status lines
// and progress on stderr, colour only for terminals without NO_COLOR.
package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// Streams carries the standard streams of one command run and how to write to them.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer

	// OutTTY and ErrTTY report whether stdout and stderr are terminals.
	OutTTY bool
	ErrTTY bool
	// Color enables ANSI styles on stdout; it is false when NO_COLOR is set or stdout
	// is not a terminal.
	Color bool
	// JSON selects machine-readable output (--output json).
	JSON bool
	// Quiet suppresses status lines; Verbose adds detail lines.
	Quiet   bool
	Verbose bool
}

// System returns Streams for the process's stdin, stdout and stderr.
func System() *Streams {
	s := &Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}
	s.OutTTY = term.IsTerminal(int(os.Stdout.Fd()))
	s.ErrTTY = term.IsTerminal(int(os.Stderr.Fd()))
	_, noColor := os.LookupEnv("NO_COLOR")
	s.Color = s.OutTTY && !noColor
	return s
}

// Test returns Streams backed by buffers, with no terminal and no colour.
func Test() (*Streams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &Streams{In: bytes.NewReader(nil), Out: &out, Err: &errOut}, &out, &errOut
}

// Statusf prints one status line on stderr unless Quiet is set.
func (s *Streams) Statusf(format string, args ...any) {
	if s.Quiet {
		return
	}
	fmt.Fprintf(s.Err, format+"\n", args...)
}

// Verbosef prints one detail line on stderr when Verbose is set.
func (s *Streams) Verbosef(format string, args ...any) {
	if !s.Verbose {
		return
	}
	fmt.Fprintf(s.Err, format+"\n", args...)
}

// WriteJSON writes v to stdout as indented JSON.
func (s *Streams) WriteJSON(v any) error {
	enc := json.NewEncoder(s.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
