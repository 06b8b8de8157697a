package ui

import (
	"strings"
	"testing"
)

func TestRender_EscapesControlCharacters(t *testing.T) {
	for _, color := range []bool{false, true} {
		s, out, _ := Test()
		s.Color = color
		tbl := &Table{Headers: []string{"CLASS"}}
		tbl.AddRow("a\x1b]0;pwned\x07\x1b[2Jb")
		s.Render(tbl)
		got := out.String()
		if strings.Contains(got, "\x07") || strings.Contains(got, "]0;pwned\x07") {
			t.Errorf("color=%v: output carries raw control characters: %q", color, got)
		}
		if !strings.Contains(got, `a\x1b]0;pwned\a\x1b[2Jb`) {
			t.Errorf("color=%v: output = %q, want the cell shown escaped", color, got)
		}
	}
}

func TestRender_PlainHasNoEscapes(t *testing.T) {
	s, out, _ := Test()
	tbl := &Table{Title: "T", Headers: []string{"A", "B"}}
	tbl.AddRow("x", 1)
	s.Render(tbl)
	if strings.ContainsAny(out.String(), "\x1b\r") {
		t.Errorf("plain output has escape codes or carriage returns: %q", out.String())
	}
}
