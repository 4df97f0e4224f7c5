package todo

import "sort"

// SortByDue orders items by due date, earliest first; items without a due date go last.
// Items with the same due date keep their relative order.
func SortByDue(items []*Item) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i].Due, items[j].Due
		if a == "" || b == "" {
			return a != "" && b == ""
		}
		return a < b
	})
}
