// Package logtest holds a logging.Logger for tests: it keeps every line,
// at every debug level, with the prefixes the script printed.
package logtest

import (
	"strings"
	"sync"
)

// Recorder keeps the lines it is given. It is safe for concurrent use; the
// zero value is ready.
type Recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *Recorder) add(s string) {
	r.mu.Lock()
	r.lines = append(r.lines, s)
	r.mu.Unlock()
}

func (r *Recorder) Debug(_ int, m string) { r.add("DEBUG: " + m) }
func (r *Recorder) Info(m string)         { r.add("INFO: " + m) }
func (r *Recorder) Warning(m string)      { r.add("WARNING: " + m) }
func (r *Recorder) Error(m string)        { r.add("ERROR: " + m) }
func (r *Recorder) Print(m string)        { r.add(m) }
func (r *Recorder) Enabled(int) bool      { return true }

// Lines returns a copy of the lines so far.
func (r *Recorder) Lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// Text returns the lines so far, joined by newlines.
func (r *Recorder) Text() string { return strings.Join(r.Lines(), "\n") }

// Last returns the last line, or "" when there is none.
func (r *Recorder) Last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lines) == 0 {
		return ""
	}
	return r.lines[len(r.lines)-1]
}
