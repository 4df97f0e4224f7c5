// Command table reads CSV on stdin and prints it as an aligned text table.
package main

import (
	"encoding/csv"
	"fmt"
	"os"

	"example.com/tables/texttable"
)

func main() {
	r := csv.NewReader(os.Stdin)
	r.FieldsPerRecord = -1 // rows may have any number of fields
	rows, err := r.ReadAll()
	if err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}
	fmt.Print(texttable.Render(rows))
}
