package host

import (
	"testing"
	"time"
)

func TestEnvDefaults(t *testing.T) {
	e := Env{Options: Options{Workers: 3}}.Defaults()
	if e.Now == nil || e.Stats == nil {
		t.Fatalf("Defaults left Now or Stats unset: %+v", e)
	}
	want := Options{Workers: 3, ObjectBuffer: DefaultOptions().ObjectBuffer, HeldBytes: DefaultOptions().HeldBytes}
	if e.Options != want {
		t.Errorf("options %+v, want %+v", e.Options, want)
	}
	s := &Stats{}
	if got := (Env{Stats: s}).Defaults().Stats; got != s {
		t.Error("Defaults replaced the host's Stats")
	}
}

// The newest object is the latest LastModified, ties broken by the
// greater key, and a new run forgets the previous one's.
func TestStatsNewest(t *testing.T) {
	var s Stats
	day := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	s.Saw("b", day)
	s.Saw("a", day.Add(time.Hour))
	s.Saw("c", day)
	s.Saw("z", day.Add(time.Hour))
	if k, at := s.Newest(); k != "z" || !at.Equal(day.Add(time.Hour)) {
		t.Errorf("newest %q at %v, want z at %v", k, at, day.Add(time.Hour))
	}
	s.ResetNewest()
	if k, _ := s.Newest(); k != "" {
		t.Errorf("newest after reset %q, want none", k)
	}
}

func TestPanicError(t *testing.T) {
	err := PanicError("boom")
	if err.Error() != "internal error (please report): boom" {
		t.Errorf("message %q", err)
	}
	if p := err.(*panicError); p.stack == "" {
		t.Error("no stack kept")
	}
}
