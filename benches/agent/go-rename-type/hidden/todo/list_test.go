package todo

import "testing"

func TestListPendingAndTags(t *testing.T) {
	var l List
	a := l.Add("a", "x")
	l.Add("b", "y")
	l.Add("c", "x")
	a.Complete()
	if got := len(l.Pending()); got != 2 {
		t.Fatalf("Pending = %d items, want 2", got)
	}
	if got := len(l.ByTag("X")); got != 2 {
		t.Fatalf("ByTag = %d items, want 2", got)
	}
	if _, err := l.Get(4); err == nil {
		t.Fatal("Get(4) should fail")
	}
}

func TestSortByDue(t *testing.T) {
	items := []*Task{{ID: 1}, {ID: 2, Due: "2024-02-01"}, {ID: 3, Due: "2024-01-15"}}
	SortByDue(items)
	if items[0].ID != 3 || items[1].ID != 2 || items[2].ID != 1 {
		t.Fatalf("order = %d %d %d", items[0].ID, items[1].ID, items[2].ID)
	}
}
