// Command todo prints a small demo list, pending items sorted by due date.
package main

import (
	"fmt"
	"os"

	"example.com/todo/store"
	"example.com/todo/todo"
)

func main() {
	var list todo.List
	list.Add("write report", "work").Due = "2024-06-01"
	list.Add("buy milk", "home")
	list.Add("call plumber", "home").Due = "2024-05-20"
	items := list.Pending()
	todo.SortByDue(items)
	var first *todo.Item
	if len(items) > 0 {
		first = items[0]
	}
	if err := store.Save(os.Stdout, items); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if first != nil {
		fmt.Println("next:", first.Title)
	}
}
