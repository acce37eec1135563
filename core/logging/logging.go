// Package logging carries the collector's log lines to whoever runs it: the
// drop-in executable prints them exactly as the Python script did
// ("DEBUG: ...", "ERROR: ..."), the shared library hands them to the host's
// logger with Wazuh's levels.
package logging

import (
	"fmt"
	"io"
	"sync"
)

// Wazuh's log levels (modules_log_level_t), as passed to the host callback.
const (
	LevelDebug        = 0
	LevelInfo         = 1
	LevelWarning      = 2
	LevelError        = 3
	LevelCritical     = 4
	LevelDebugVerbose = 5
)

// Logger receives the collector's lines. Debug lines carry the reference
// script's debug level (1..3); a line is shown only when the configured
// threshold is at least that level. Implementations are safe for concurrent
// use.
type Logger interface {
	// Debug logs msg at debug level lvl (1, 2 or 3).
	Debug(lvl int, msg string)
	// Info, Warning and Error log at those levels.
	Info(msg string)
	Warning(msg string)
	Error(msg string)
	// Print writes a line the reference printed without any prefix (for
	// example "WARNING: Could not reformat event ..."); it is a warning.
	Print(msg string)
	// Enabled reports whether Debug(lvl, ...) would show anything, so that
	// costly messages (a whole event at level 3) are built only when needed.
	Enabled(lvl int) bool
}

// Script writes lines the way the Python script did: to one writer,
// "DEBUG: " for debug lines at or below the threshold, "ERROR: " for errors,
// warnings and plain prints unprefixed (the script's warnings carry their
// own "WARNING: " text), info prefixed "INFO: ".
type Script struct {
	mu    sync.Mutex
	w     io.Writer
	level int
}

// NewScript returns a Logger writing to w with debug threshold level.
func NewScript(w io.Writer, level int) *Script { return &Script{w: w, level: level} }

func (s *Script) line(prefix, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, "%s%s\n", prefix, msg)
}

func (s *Script) Debug(lvl int, msg string) {
	if s.level >= lvl {
		s.line("DEBUG: ", msg)
	}
}
func (s *Script) Info(msg string)      { s.line("INFO: ", msg) }
func (s *Script) Warning(msg string)   { s.line("WARNING: ", msg) }
func (s *Script) Error(msg string)     { s.line("ERROR: ", msg) }
func (s *Script) Print(msg string)     { s.line("", msg) }
func (s *Script) Enabled(lvl int) bool { return s.level >= lvl }

// Func adapts a host callback taking Wazuh levels. Debug level 1 maps to
// LevelDebug, levels 2 and 3 to LevelDebugVerbose (the host filters by its
// own debug setting); threshold still bounds what is produced at all.
type Func struct {
	fn        func(level int, msg string)
	threshold int
}

// NewFunc returns a Logger calling fn for every line; debug lines above
// threshold are not produced.
func NewFunc(fn func(level int, msg string), threshold int) *Func {
	return &Func{fn: fn, threshold: threshold}
}

func (f *Func) Debug(lvl int, msg string) {
	if lvl > f.threshold {
		return
	}
	if lvl <= 1 {
		f.fn(LevelDebug, msg)
	} else {
		f.fn(LevelDebugVerbose, msg)
	}
}
func (f *Func) Info(msg string)      { f.fn(LevelInfo, msg) }
func (f *Func) Warning(msg string)   { f.fn(LevelWarning, msg) }
func (f *Func) Error(msg string)     { f.fn(LevelError, msg) }
func (f *Func) Print(msg string)     { f.fn(LevelWarning, msg) }
func (f *Func) Enabled(lvl int) bool { return lvl <= f.threshold }

// Discard drops every line.
type Discard struct{}

func (Discard) Debug(int, string) {}
func (Discard) Info(string)       {}
func (Discard) Warning(string)    {}
func (Discard) Error(string)      {}
func (Discard) Print(string)      {}
func (Discard) Enabled(int) bool  { return false }
