package store

import (
	"reflect"
	"strings"
	"testing"

	"example.com/todo/todo"
)

func TestRoundTrip(t *testing.T) {
	in := []*todo.Task{
		{ID: 1, Title: "pay rent | utilities", Due: "2024-07-01", Tags: []string{"money", "home"}},
		{ID: 2, Title: "stretch", Done: true},
	}
	var sb strings.Builder
	if err := Save(&sb, in); err != nil {
		t.Fatal(err)
	}
	out, err := Load(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed items:\n%s", sb.String())
	}
}

func TestLoadBadLine(t *testing.T) {
	if _, err := Load(strings.NewReader("1|0|x\n")); err == nil {
		t.Fatal("want an error for a short line")
	}
}
