package todo

import "testing"

func TestNewItemTrimsTitle(t *testing.T) {
	it := NewItem(7, "  water plants ")
	if it.ID != 7 || it.Title != "water plants" || it.Done {
		t.Fatalf("NewItem gave %+v", *it)
	}
}

func TestHasTag(t *testing.T) {
	it := &Item{Tags: []string{"Home", "weekly"}}
	if !it.HasTag("home") || it.HasTag("work") {
		t.Fatal("HasTag is wrong")
	}
}
