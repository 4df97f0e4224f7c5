package todo

import "fmt"

// List holds items in insertion order.
type List struct {
	entries []*Item
	nextID  int
}

// Add creates an Item with the next free ID and appends it.
func (l *List) Add(title string, tags ...string) *Item {
	l.nextID++
	it := NewItem(l.nextID, title)
	it.Tags = append(it.Tags, tags...)
	l.entries = append(l.entries, it)
	return it
}

// Get returns the Item with the given ID.
func (l *List) Get(id int) (*Item, error) {
	for _, it := range l.entries {
		if it.ID == id {
			return it, nil
		}
	}
	return nil, fmt.Errorf("no item %d", id)
}

// All returns every item.
func (l *List) All() []*Item {
	return append([]*Item(nil), l.entries...)
}

// Pending returns the items that are not done.
func (l *List) Pending() []*Item {
	var out []*Item
	for _, it := range l.entries {
		if !it.Done {
			out = append(out, it)
		}
	}
	return out
}

// ByTag returns the items carrying tag.
func (l *List) ByTag(tag string) []*Item {
	var out []*Item
	for _, it := range l.entries {
		if it.HasTag(tag) {
			out = append(out, it)
		}
	}
	return out
}
