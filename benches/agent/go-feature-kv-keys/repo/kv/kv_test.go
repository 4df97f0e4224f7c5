package kv

import "testing"

func TestSetGet(t *testing.T) {
	var s Store
	s.Set("a", "1")
	s.Set("a", "2")
	if v, ok := s.Get("a"); !ok || v != "2" {
		t.Fatalf("Get(a) = %q, %v", v, ok)
	}
	if _, ok := s.Get("b"); ok {
		t.Fatal("Get(b) should miss")
	}
}

func TestDeleteAndLen(t *testing.T) {
	var s Store
	s.Set("x", "1")
	s.Set("y", "2")
	if !s.Delete("x") || s.Delete("x") {
		t.Fatal("Delete should report presence")
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d, want 1", s.Len())
	}
}
