// Package texttable renders rows of strings as an aligned plain-text table.
package texttable

import (
	"strings"
	"unicode/utf8"
)

// Render lays out rows as columns separated by " | ". The first row is the header
// and is followed by a rule of dashes ("-+-" where columns meet). Each column is as
// wide as its widest cell. Rows may have different numbers of cells: a missing cell
// renders as an empty one. Trailing spaces are trimmed from every line.
func Render(rows [][]string) string {
	if len(rows) == 0 {
		return ""
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			if n := utf8.RuneCountInString(cell); n > widths[i] {
				widths[i] = n
			}
		}
	}
	var b strings.Builder
	for r, row := range rows {
		cells := make([]string, len(widths))
		for i := range widths {
			cell := ""
			if i < len(row) {
				cell = row[i]
			}
			cells[i] = pad(cell, widths[i])
		}
		b.WriteString(strings.TrimRight(strings.Join(cells, " | "), " "))
		b.WriteByte('\n')
		if r == 0 {
			rule := make([]string, len(widths))
			for i, w := range widths {
				rule[i] = strings.Repeat("-", w)
			}
			b.WriteString(strings.Join(rule, "-+-"))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}
