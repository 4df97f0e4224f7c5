// Package todo is a small to-do list model.
package todo

import "strings"

// Item is one thing to do.
type Item struct {
	ID    int
	Title string
	Done  bool
	Due   string // YYYY-MM-DD, or "" for no due date
	Tags  []string
}

// NewItem returns a pending Item with the given ID and title (trimmed).
func NewItem(id int, title string) *Item {
	return &Item{ID: id, Title: strings.TrimSpace(title)}
}

// Complete marks the item as done.
func (it *Item) Complete() {
	it.Done = true
}

// HasTag reports whether the item carries tag (case-insensitive).
func (it *Item) HasTag(tag string) bool {
	for _, t := range it.Tags {
		if strings.EqualFold(t, tag) {
			return true
		}
	}
	return false
}
