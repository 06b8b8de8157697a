package ui

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
)

// Table is a titled grid of text cells.
type Table struct {
	Title   string
	Headers []string
	Rows    [][]string
}

// AddRow appends one row; values are formatted with %v.
func (t *Table) AddRow(values ...any) {
	row := make([]string, len(values))
	for i, v := range values {
		row[i] = fmt.Sprint(v)
	}
	t.Rows = append(t.Rows, row)
}

// Render writes the table to s.Out, with borders and colour on a colour terminal and
// as plain aligned columns otherwise, so that pipes and logs get no escape codes.
// Control characters in cells, which may come from user data such as CSV headers,
// are shown escaped so that they cannot drive the terminal.
func (s *Streams) Render(t *Table) {
	t = escaped(t)
	if s.Color {
		renderStyled(s.Out, t)
		return
	}
	renderPlain(s.Out, t)
}

func renderStyled(w io.Writer, t *Table) {
	header := lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12")).Padding(0, 1)
	cell := lipgloss.NewStyle().Padding(0, 1)
	tbl := table.New().
		Border(lipgloss.RoundedBorder()).
		BorderStyle(lipgloss.NewStyle().Foreground(lipgloss.Color("8"))).
		Headers(t.Headers...).
		Rows(t.Rows...).
		StyleFunc(func(row, _ int) lipgloss.Style {
			if row == table.HeaderRow {
				return header
			}
			return cell
		})
	if t.Title != "" {
		fmt.Fprintln(w, lipgloss.NewStyle().Bold(true).Render(t.Title))
	}
	fmt.Fprintln(w, tbl.Render())
}

func renderPlain(w io.Writer, t *Table) {
	widths := make([]int, len(t.Headers))
	measure := func(row []string) {
		for i, c := range row {
			if i < len(widths) && len(c) > widths[i] {
				widths[i] = len(c)
			}
		}
	}
	measure(t.Headers)
	for _, r := range t.Rows {
		measure(r)
	}
	line := func(row []string) {
		var b strings.Builder
		for i, c := range row {
			if i >= len(widths) {
				break
			}
			if i == len(row)-1 {
				b.WriteString(c)
				break
			}
			fmt.Fprintf(&b, "%-*s  ", widths[i], c)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	if t.Title != "" {
		fmt.Fprintln(w, t.Title)
	}
	line(t.Headers)
	for _, r := range t.Rows {
		line(r)
	}
}

func escaped(t *Table) *Table {
	out := &Table{Title: escapeControl(t.Title), Headers: make([]string, len(t.Headers)), Rows: make([][]string, len(t.Rows))}
	for i, h := range t.Headers {
		out.Headers[i] = escapeControl(h)
	}
	for i, row := range t.Rows {
		out.Rows[i] = make([]string, len(row))
		for j, c := range row {
			out.Rows[i][j] = escapeControl(c)
		}
	}
	return out
}

// escapeControl replaces control characters with Go escape sequences such as \x1b.
func escapeControl(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
