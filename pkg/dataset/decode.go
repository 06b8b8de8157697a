package dataset

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decode turns the raw file bytes into UTF-8 text with "\n" line ends: it
// strips a UTF-8 byte order mark, rejects UTF-16, UTF-32 and invalid UTF-8,
// and converts CRLF and bare CR line ends to LF. Without the last step a
// file with bare CR ends would be read as a single row.
func (p *parser) decode(raw []byte) ([]byte, error) {
	if format, hint := binaryFormat(raw); format != "" {
		return nil, p.errorf(KindEncoding, 0, "", hint, "file is %s, not CSV text", format)
	}
	if name, mark := wideEncoding(raw); name != "" {
		verb := "is"
		if !strings.HasPrefix(mark, "byte order mark") {
			verb = "seems to be"
		}
		return nil, p.errorf(KindEncoding, 0, "", "convert it with: iconv -f "+iconvName(name)+" -t UTF-8",
			"file %s %s encoded (%s), only UTF-8 is supported", verb, name, mark)
	}
	text := bytes.TrimPrefix(raw, utf8BOM)
	if !utf8.Valid(text) {
		offset := invalidUTF8Offset(text)
		row := 1 + bytes.Count(text[:offset], []byte{'\n'}) + bareCRs(text[:offset])
		return nil, p.errorf(KindEncoding, row, "",
			"save the file as UTF-8, it may be Latin-1 or Windows-1252",
			"invalid UTF-8 byte 0x%02X", text[offset])
	}
	return normaliseLineEnds(text), nil
}

// binaryFormat recognises files that people pass by mistake in place of a
// CSV export, by their magic numbers.
func binaryFormat(b []byte) (format, hint string) {
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "a ZIP archive, such as an .xlsx workbook", "export the sheet as CSV in UTF-8"
	case bytes.HasPrefix(b, []byte{0x1F, 0x8B}):
		return "gzip-compressed", "decompress it first, for example with gunzip"
	case bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return "an OLE2 document, such as an .xls workbook", "export the sheet as CSV in UTF-8"
	}
	return "", ""
}

// wideEncoding recognises UTF-16 and UTF-32 by their byte order marks, and
// UTF-16 without a mark by its NUL bytes, which UTF-8 text CSV files do not
// contain.
// It returns the encoding name and the evidence, or "" for neither.
func wideEncoding(b []byte) (name, evidence string) {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0, 0}):
		return "UTF-32LE", "byte order mark FF FE 00 00"
	case bytes.HasPrefix(b, []byte{0, 0, 0xFE, 0xFF}):
		return "UTF-32BE", "byte order mark 00 00 FE FF"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return "UTF-16LE", "byte order mark FF FE"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return "UTF-16BE", "byte order mark FE FF"
	}
	if bytes.IndexByte(b, 0) < 0 {
		return "", ""
	}
	// ASCII text in UTF-16LE has its NUL bytes at odd offsets, in UTF-16BE
	// at even offsets.
	var even, odd int
	for i, c := range b[:min(len(b), 1024)] {
		if c == 0 && i%2 == 0 {
			even++
		} else if c == 0 {
			odd++
		}
	}
	if odd >= even {
		return "UTF-16LE", "NUL bytes and no byte order mark"
	}
	return "UTF-16BE", "NUL bytes and no byte order mark"
}

func iconvName(encoding string) string {
	if encoding == "UTF-16LE" || encoding == "UTF-16BE" {
		return "UTF-16"
	}
	return "UTF-32"
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// bareCRs counts CR bytes not followed by LF, which end a line too.
func bareCRs(b []byte) int {
	n := 0
	for i, c := range b {
		if c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			n++
		}
	}
	return n
}

// normaliseLineEnds replaces CRLF and bare CR with LF. It returns b itself
// when b contains no CR.
func normaliseLineEnds(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i, c := range b {
		if c == '\r' {
			if i+1 < len(b) && b[i+1] == '\n' {
				continue
			}
			c = '\n'
		}
		out = append(out, c)
	}
	return out
}

// detectDelimiter returns whichever of ',', ';' and tab occurs most often
// outside quotes in the first line, preferring them in that order on a tie.
// It returns ',' when the line contains none of them.
func detectDelimiter(text []byte) rune {
	candidates := []rune{',', ';', '\t'}
	counts := make([]int, len(candidates))
	inQuotes := false
	for _, c := range text {
		if c == '"' {
			inQuotes = !inQuotes
			continue
		}
		if inQuotes {
			continue
		}
		if c == '\n' {
			break
		}
		for i, d := range candidates {
			if rune(c) == d {
				counts[i]++
			}
		}
	}
	best := 0
	for i := range candidates {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return candidates[best]
}

func validDelimiter(r rune) error {
	if r == '"' || r == '\r' || r == '\n' || r == utf8.RuneError || !utf8.ValidRune(r) {
		return fmt.Errorf("invalid delimiter %q", r)
	}
	return nil
}
