package wordfreq

import (
	"reflect"
	"testing"
)

func TestHiddenTopTies(t *testing.T) {
	got := Top("d c b a d c b a e", 5)
	want := []WordCount{{"a", 2}, {"b", 2}, {"c", 2}, {"d", 2}, {"e", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Top = %v, want %v", got, want)
	}
}

func TestHiddenTopCountFirst(t *testing.T) {
	got := Top("zebra zebra zebra yak yak ant", 2)
	want := []WordCount{{"zebra", 3}, {"yak", 2}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Top = %v, want %v", got, want)
	}
	if got := Top("", 3); len(got) != 0 {
		t.Fatalf("Top of empty text = %v", got)
	}
}
