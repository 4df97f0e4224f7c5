// Package store saves to-do items as text, one per line: ID|done|due|tag,tag|title
package store

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"example.com/todo/todo"
)

// Save writes items to w.
func Save(w io.Writer, items []*todo.Item) error {
	for _, it := range items {
		done := "0"
		if it.Done {
			done = "1"
		}
		line := fmt.Sprintf("%d|%s|%s|%s|%s\n", it.ID, done, it.Due, strings.Join(it.Tags, ","), it.Title)
		if _, err := io.WriteString(w, line); err != nil {
			return err
		}
	}
	return nil
}

// Load reads items written by Save.
func Load(r io.Reader) ([]*todo.Item, error) {
	var items []*todo.Item
	scanner := bufio.NewScanner(r)
	for n := 1; scanner.Scan(); n++ {
		fields := strings.SplitN(scanner.Text(), "|", 5)
		if len(fields) != 5 {
			return nil, fmt.Errorf("line %d: want 5 fields, got %d", n, len(fields))
		}
		id, err := strconv.Atoi(fields[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: bad id: %v", n, err)
		}
		it := todo.NewItem(id, fields[4])
		it.Done = fields[1] == "1"
		it.Due = fields[2]
		if fields[3] != "" {
			it.Tags = strings.Split(fields[3], ",")
		}
		items = append(items, it)
	}
	return items, scanner.Err()
}
