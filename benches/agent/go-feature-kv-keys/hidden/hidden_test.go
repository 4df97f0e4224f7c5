package kv

import (
	"reflect"
	"testing"
)

func TestHiddenKeys(t *testing.T) {
	var s Store
	if got := s.Keys(""); len(got) != 0 {
		t.Fatalf("Keys on empty store = %v", got)
	}
	for _, k := range []string{"user:2", "user:10", "session:a", "user:1", "users"} {
		s.Set(k, "v")
	}
	if got, want := s.Keys("user:"), []string{"user:1", "user:10", "user:2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Keys(user:) = %v, want %v", got, want)
	}
	if got, want := s.Keys(""), []string{"session:a", "user:1", "user:10", "user:2", "users"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Keys() = %v, want %v", got, want)
	}
	if got := s.Keys("nope"); len(got) != 0 {
		t.Fatalf("Keys(nope) = %v", got)
	}
	s.Delete("user:1")
	if got, want := s.Keys("user"), []string{"user:10", "user:2", "users"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after delete Keys(user) = %v, want %v", got, want)
	}
}

func TestHiddenKeysReturnsCopy(t *testing.T) {
	var s Store
	s.Set("a", "1")
	keys := s.Keys("")
	keys[0] = "zzz"
	if got := s.Keys(""); got[0] != "a" {
		t.Fatal("Keys must return a fresh slice")
	}
}
