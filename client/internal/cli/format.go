package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Output formats of `client call`; FormatMap is top-states' alone.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatCSV   = "csv"
	FormatMap   = "map"
)

var (
	formats      = []string{FormatTable, FormatJSON, FormatCSV}
	stateFormats = []string{FormatTable, FormatJSON, FormatCSV, FormatMap}
)

// kind says how a column prints: numbers and money right-aligned in tables; in JSON,
// numbers bare and money as its exact decimal in a string ("1234.50"), since most JSON
// parsers read a number as a float and would lose cents past 2^53.
type kind int

const (
	text kind = iota
	number
	dollars
)

// column describes one column of a result.
type column struct {
	name string
	kind kind
}

// result is what every call prints: a title, columns and rows of already-formatted cells.
type result struct {
	title string
	cols  []column
	rows  [][]string
	// changed names what the call committed ("transfer, transaction 1234"); empty for
	// reads. A result that cannot be written then still says the change happened.
	changed string
	note    string // said on stderr before the result: how an in-doubt COMMIT ended
	// draw, if set, draws the result in place of its table (the states' map); JSON and
	// CSV still give the rows.
	draw func(io.Writer) error
}

// output writes the result, and says whether the change stands when that fails.
func (r *result) output(w io.Writer, format string) error {
	err := r.write(w, format)
	if err != nil && r.changed != "" {
		return notWritten(r.changed, err)
	}
	if err != nil {
		return fmt.Errorf("could not write the result: %w", err)
	}
	return nil
}

func (r *result) add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = fmt.Sprint(c)
	}
	r.rows = append(r.rows, row)
}

func (r *result) write(w io.Writer, format string) error {
	switch format {
	case FormatJSON:
		return r.writeJSON(w)
	case FormatCSV:
		cw := csv.NewWriter(w)
		header := make([]string, len(r.cols))
		for i, c := range r.cols {
			header[i] = c.name
		}
		cw.Write(header)
		cw.WriteAll(r.rows)
		return cw.Error()
	default:
		if r.draw != nil {
			if _, err := io.WriteString(w, printable(r.title)+"\n"); err != nil {
				return err
			}
			return r.draw(w)
		}
		return r.writeTable(w)
	}
}

// printable escapes what a terminal would act on rather than show: an ESC sequence would
// recolour it, a newline break the table. psql escapes them too.
func printable(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var sb strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&sb, "\\x%02x", r)
		} else {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

func (r *result) writeTable(w io.Writer) error {
	rows := make([][]string, len(r.rows))
	for i, row := range r.rows {
		rows[i] = make([]string, len(row))
		for j, cell := range row {
			rows[i][j] = printable(cell)
		}
	}
	width := make([]int, len(r.cols))
	for i, c := range r.cols {
		width[i] = len(c.name)
		for _, row := range rows {
			width[i] = max(width[i], len([]rune(row[i])))
		}
	}
	var sb strings.Builder
	if r.title != "" {
		sb.WriteString(printable(r.title) + "\n")
	}
	line := func(cells []string) {
		for i, cell := range cells {
			if i > 0 {
				sb.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-len([]rune(cell)))
			if r.cols[i].kind != text {
				sb.WriteString(pad + cell)
			} else if i < len(cells)-1 {
				sb.WriteString(cell + pad)
			} else {
				sb.WriteString(cell)
			}
		}
		sb.WriteString("\n")
	}
	header := make([]string, len(r.cols))
	rule := make([]string, len(r.cols))
	for i, c := range r.cols {
		header[i] = c.name
		rule[i] = strings.Repeat("-", width[i])
	}
	line(header)
	line(rule)
	for _, row := range rows {
		line(row)
	}
	if len(r.rows) == 0 {
		sb.WriteString("(no rows)\n")
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func (r *result) writeJSON(w io.Writer) error {
	var sb strings.Builder
	sb.WriteString("[")
	for i, row := range r.rows {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString("\n  {")
		for j, cell := range row {
			if j > 0 {
				sb.WriteString(", ")
			}
			name, _ := json.Marshal(r.cols[j].name)
			sb.Write(name)
			sb.WriteString(": ")
			// A number, or a missing one (null), is written bare.
			if r.cols[j].kind == number || (r.cols[j].kind == dollars && cell == "null") {
				sb.WriteString(cell)
			} else {
				v, _ := json.Marshal(cell)
				sb.Write(v)
			}
		}
		sb.WriteString("}")
	}
	if len(r.rows) > 0 {
		sb.WriteString("\n")
	}
	sb.WriteString("]\n")
	_, err := io.WriteString(w, sb.String())
	return err
}
