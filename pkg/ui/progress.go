package ui

import (
	"fmt"
	"strings"
	"sync"
)

// Progress draws a bar on stderr while work runs. On a non-terminal it prints nothing
// until Done, which writes one summary line, so logs get no carriage returns.
type Progress struct {
	s     *Streams
	label string
	total int

	mu   sync.Mutex
	done int
}

// NewProgress starts a progress display of total steps.
func (s *Streams) NewProgress(label string, total int) *Progress {
	return &Progress{s: s, label: label, total: total}
}

// Set records that done of total steps are finished and redraws the bar. Its
// signature fits the progress callbacks of pkg/forest. It is safe for concurrent use.
func (p *Progress) Set(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = done, total
	if !p.s.ErrTTY || p.s.Quiet || p.total <= 0 {
		return
	}
	const width = 30
	filled := width * done / p.total
	fmt.Fprintf(p.s.Err, "\r%s [%s%s] %d/%d", p.label,
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, p.total)
}

// Done clears the bar and prints summary as a status line.
func (p *Progress) Done(summary string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.s.ErrTTY && !p.s.Quiet {
		fmt.Fprint(p.s.Err, "\r\033[K")
	}
	p.s.Statusf("%s", summary)
}
