package event

import (
	"regexp"
	"strings"

	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
	"github.com/wazuh/aws-s3-go/core/pyre"
)

// Discard is the --discard-field/--discard-regex filter (reference-wodle.md
// §5.1). It is applied to the raw parsed event, before the envelope.
// A nil *Discard behaves as "no option given".
type Discard struct {
	field   string
	pattern string
	re      *regexp.Regexp
}

// NewDiscard returns the filter for the dotted field path and the regex
// compiled from pattern. re must already carry Python's re.match semantics
// (anchored at the start, not at the end); it is used with MatchString.
// A nil re stands for "no --discard-regex": the script then compiles the
// text "None", and so does NewDiscard. field "" means no --discard-field.
func NewDiscard(field, pattern string, re *regexp.Regexp) *Discard {
	if re == nil {
		pattern = "None"
		re = regexp.MustCompile(`^None`)
	}
	return &Discard{field: field, pattern: pattern, re: re}
}

// CompileDiscard returns the filter of a target's discard_field and
// discard_regex, the regex compiled with Python's semantics. An empty
// regex is the text "None": the script compiled str(None).
func CompileDiscard(field, regex string) (*Discard, error) {
	pattern := regex
	if pattern == "" {
		pattern = "None"
	}
	re, err := pyre.Compile(pattern)
	if err != nil {
		return nil, err
	}
	return NewDiscard(field, pattern, re), nil
}

// Regexp returns the filter's compiled regex.
func (d *Discard) Regexp() *regexp.Regexp { return d.re }

// Skip reports whether ev must be dropped, logging the script's lines: the
// level-2 "found a match" line for a dropped event, the level-3 "did not
// find a match" line (with "None" placeholders when no option is set) for
// every other one.
func (d *Discard) Skip(ev *pyjson.Object, log logging.Logger) bool {
	if d != nil && d.field != "" && check(ev, d.field, d.re) {
		log.Debug(2, `+++ The "`+d.pattern+`" regex found a match in the "`+d.field+`" field. The event will be skipped.`)
		return true
	}
	if log.Enabled(3) {
		pattern, field := "None", "None"
		if d != nil {
			pattern = d.pattern
			if d.field != "" {
				field = d.field
			}
		}
		log.Debug(3, `+++ The "`+pattern+`" regex did not find a match in the "`+field+`" field. The event will be processed.`)
	}
	return false
}

// check is the script's _check_recursive. An array met on the way is
// searched for the current path component only: the rest of the path is
// dropped, as in the script.
func check(item pyjson.Value, path string, re *regexp.Regexp) bool {
	head, rest, more := strings.Cut(path, ".")
	var v pyjson.Value
	switch t := item.(type) {
	case *pyjson.Object:
		if t == nil {
			return false
		}
		var ok bool
		if v, ok = t.Get(head); !ok {
			return false
		}
	case []pyjson.Value:
		for _, e := range t {
			if check(e, head, re) {
				return true
			}
		}
		return false
	default:
		return false
	}
	if !more {
		return matchLeaf(v, re)
	}
	return check(v, rest, re)
}

// matchLeaf tests strings, and arrays element by element; numbers are
// never turned into text, objects never match.
func matchLeaf(v pyjson.Value, re *regexp.Regexp) bool {
	switch t := v.(type) {
	case string:
		return re.MatchString(t)
	case []pyjson.Value:
		for _, e := range t {
			if matchLeaf(e, re) {
				return true
			}
		}
	}
	return false
}
