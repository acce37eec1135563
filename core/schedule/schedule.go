// Package schedule owns the scan schedule of a Wazuh module: the
// <interval>, <day>, <wday> and <time> options as sched_scan_read parses
// and normalises them (src/shared/src/schedule_scan.c), and the wait before
// the next scan as sched_scan_get_time_until_next_scan computes it.
package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is a normalised schedule.
type Config struct {
	// Interval is in seconds, or in months when Months is set.
	Interval uint32
	Months   bool
	Day      int    // day of the month 1..31; 0 = not set
	Wday     int    // day of the week 0 (Sunday)..6; -1 = not set
	Time     string // "hh:mm"; "" = not set
}

// Default returns the schedule sched_scan_init sets up, with the module's
// own default interval (the AWS module uses 5 seconds).
func Default(interval uint32) Config { return Config{Interval: interval, Wday: -1} }

// IsTag reports whether name is one of the scheduling elements.
func IsTag(name string) bool {
	return name == "interval" || name == "day" || name == "wday" || name == "time"
}

// Message is a line sched_scan_read logs (untagged, with the process name).
type Message struct {
	Error bool
	Text  string
}

// Read applies the scheduling elements (name, content) in order to c, then
// cross-validates them, as sched_scan_read does. Lines the reference logs
// are passed to report in order; when the configuration is invalid the
// last error is also returned. module names the module in messages
// ("aws-s3").
func (c *Config) Read(elems [][2]string, module string, report func(Message)) error {
	fail := func(text string) error {
		report(Message{Error: true, Text: text})
		return &Error{Text: text}
	}
	valueErr := func(name, content string) error {
		return fail(fmt.Sprintf("(1235): Invalid value for element '%s': %s.", name, content))
	}
	for _, e := range elems {
		name, content := e[0], e[1]
		switch name {
		case "day":
			if !allDigits(content) {
				return valueErr(name, content)
			}
			d := atoi(content)
			if d < 1 || d > 31 {
				return valueErr(name, content)
			}
			c.Day = d
		case "wday":
			d, ok := parseWday(content)
			if !ok {
				report(Message{Error: true, Text: fmt.Sprintf("(1241): Invalid day format: '%s'.", strings.TrimLeft(content, " "))})
				return valueErr(name, content)
			}
			c.Wday = d
		case "time":
			s, ok := parseTime(content)
			if !ok {
				report(Message{Error: true, Text: fmt.Sprintf("(1240): Invalid time format: '%s'.", strings.TrimLeft(content, " "))})
				return valueErr(name, content)
			}
			c.Time = s
		case "interval":
			v, rest := strtoul(content)
			if v == 0 || v == ^uint32(0) {
				return fail(fmt.Sprintf("Invalid interval value at module '%s'", module))
			}
			suffix := byte(0)
			if rest != "" {
				suffix = rest[0]
			}
			switch suffix {
			case 'M':
				c.Months = true
			case 'w':
				v *= 604800
			case 'd':
				v *= 86400
			case 'h':
				v *= 3600
			case 'm':
				v *= 60
			case 's', 0:
			default:
				return fail(fmt.Sprintf("Invalid interval value at module '%s'", module))
			}
			c.Interval = v
		}
	}
	return c.validate(report)
}

// validate is _sched_scan_validate_parameters.
func (c *Config) validate(report func(Message)) error {
	warn := func(text string) { report(Message{Text: text}) }
	switch {
	case c.Day != 0 && c.Wday >= 0:
		text := "Options 'day' and 'wday' are not compatible."
		report(Message{Error: true, Text: text})
		return &Error{Text: text}
	case c.Day != 0:
		if !c.Months {
			warn("Interval must be a multiple of one month. New interval value: 1M")
			c.Interval = 1
			c.Months = true
		}
		if c.Time == "" {
			c.Time = "00:00"
		}
	case c.Wday >= 0:
		// The C code passes the unsigned interval as an int.
		if int32(c.Interval)%604800 != 0 {
			c.Interval = 604800
			warn("Interval must be a multiple of one week. New interval value: 1w")
		}
		if c.Time == "" {
			c.Time = "00:00"
		}
	case c.Time != "":
		if int32(c.Interval)%86400 != 0 {
			c.Interval = 86400
			warn("Interval must be a multiple of one day. New interval value: 1d")
		}
	case c.Months:
		warn("Interval value is in months. Setting scan day to first day of the month.")
		c.Day = 1
		c.Time = "00:00"
	}
	return nil
}

// Error is an invalid schedule; its text is the reference's message.
type Error struct{ Text string }

func (e *Error) Error() string { return e.Text }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi is C's atoi on a string of digits (saturating instead of undefined).
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 1 << 31
	}
	return n
}

// strtoul is C's strtoul(s, &end, 0) truncated to unsigned int as the
// reference stores it: leading white space, an optional sign, then a
// decimal, octal (0...) or hexadecimal (0x...) number. It returns the value
// and the unparsed rest.
func strtoul(s string) (uint32, string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := uint64(10)
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && digitVal(s[i+2]) < 16 {
		base = 16
		i += 2
	} else if i < len(s) && s[i] == '0' {
		base = 8
	}
	start := i
	var v uint64
	overflow := false
	for i < len(s) && uint64(digitVal(s[i])) < base {
		d := uint64(digitVal(s[i]))
		if v > (^uint64(0)-d)/base {
			overflow = true
		}
		v = v*base + d
		i++
	}
	if i == start {
		return 0, s
	}
	if overflow {
		v = ^uint64(0)
	} else if neg {
		v = -v
	}
	return uint32(v), s[i:]
}

func digitVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'z':
		return c - 'a' + 10
	case c >= 'A' && c <= 'Z':
		return c - 'A' + 10
	}
	return 255
}

var wdays = []struct {
	name string
	day  int
}{
	{"sunday", 0}, {"sun", 0}, {"monday", 1}, {"mon", 1}, {"tuesday", 2}, {"tue", 2},
	{"wednesday", 3}, {"wed", 3}, {"thursday", 4}, {"thu", 4}, {"friday", 5},
	{"fri", 5}, {"saturday", 6}, {"sat", 6},
}

// parseWday is w_validate_wday: leading spaces removed, then a
// case-insensitive prefix match ("Mondays" is Monday).
func parseWday(s string) (int, bool) {
	s = strings.TrimLeft(s, " ")
	for _, d := range wdays {
		if len(s) >= len(d.name) && strings.EqualFold(s[:len(d.name)], d.name) {
			return d.day, true
		}
	}
	return -1, false
}

// parseTime is w_validate_time: "%d:%d" with hour 0..23 and minute 0..59,
// normalised to "hh:mm".
func parseTime(s string) (string, bool) {
	s = strings.TrimLeft(s, " ")
	if !strings.Contains(s, ":") {
		return "", false
	}
	h, rest, ok := scanInt(s)
	if !ok || !strings.HasPrefix(rest, ":") {
		return "", false
	}
	m, _, ok := scanInt(rest[1:])
	if !ok || h < 0 || h >= 24 || m < 0 || m >= 60 {
		return "", false
	}
	return fmt.Sprintf("%02d:%02d", h, m), true
}

// scanInt is scanf's %d: optional white space, sign, decimal digits.
func scanInt(s string) (int, string, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	j := i
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	k := j
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k == j {
		return 0, s, false
	}
	n, err := strconv.Atoi(s[i:k])
	if err != nil {
		return 0, s, false
	}
	return n, s[k:], true
}

// String renders the interval as the reference documents it ("10m", "1M").
func (c Config) String() string {
	switch {
	case c.Months:
		return fmt.Sprintf("%dM", c.Interval)
	case c.Interval%604800 == 0:
		return fmt.Sprintf("%dw", c.Interval/604800)
	case c.Interval%86400 == 0:
		return fmt.Sprintf("%dd", c.Interval/86400)
	case c.Interval%3600 == 0:
		return fmt.Sprintf("%dh", c.Interval/3600)
	case c.Interval%60 == 0:
		return fmt.Sprintf("%dm", c.Interval/60)
	}
	return fmt.Sprintf("%ds", c.Interval)
}

// Overtaken is the warning the reference logs (tagged with the module) when
// a scan took longer than the interval.
const Overtaken = "Interval overtaken."

// Next returns how long to wait, at now, before the next scan starts.
// lastStart is when the previous scan was scheduled to start (now+wait of
// the previous call); the zero time means no scan was scheduled yet.
// overtaken reports that the interval already elapsed since lastStart (the
// caller logs Overtaken); the wait is then 0.
//
// Dates are computed in now's location, as the reference uses local time.
// Unlike the reference, no separate daylight-saving correction is applied:
// calendar arithmetic in the location already accounts for it.
func Next(c Config, lastStart, now time.Time, runOnStart bool) (wait time.Duration, overtaken bool) {
	first := lastStart.IsZero()
	if runOnStart && first {
		return 0, false
	}
	now = now.Truncate(time.Second)
	switch {
	case c.Day != 0:
		return untilMonthDay(now, c.Day, c.Time, int(c.Interval)), false
	case c.Wday >= 0:
		return untilWeekday(now, c.Wday, c.Time, int(c.Interval/604800), first), false
	case c.Time != "":
		return untilTime(now, c.Time, int(c.Interval/86400), first), false
	}
	interval := time.Duration(c.Interval) * time.Second
	if first {
		return interval, false
	}
	elapsed := now.Sub(lastStart.Truncate(time.Second))
	if elapsed <= interval {
		return interval - elapsed, false
	}
	return 0, true
}

func hhmm(s string) (int, int) {
	h, rest, _ := scanInt(s)
	m, _, _ := scanInt(strings.TrimPrefix(rest, ":"))
	return h, m
}

// untilTime is get_time_to_hour.
func untilTime(now time.Time, at string, days int, first bool) time.Duration {
	h, m := hhmm(at)
	y, mo, d := now.Date()
	target := time.Date(y, mo, d, h, m, 0, 0, now.Location())
	if !target.After(now) {
		if first {
			d++
		} else {
			d += days
		}
		target = time.Date(y, mo, d, h, m, 0, 0, now.Location())
	}
	return target.Sub(now)
}

// untilWeekday is get_time_to_day.
func untilWeekday(now time.Time, wday int, at string, weeks int, first bool) time.Duration {
	h, m := hhmm(at)
	y, mo, d := now.Date()
	target := time.Date(y, mo, d, h, m, 0, 0, now.Location())
	today := int(now.Weekday())
	switch {
	case wday == today:
		if !target.After(now) {
			if first {
				d += 7
			} else {
				d += weeks * 7
			}
		}
	case wday > today:
		d += wday - today
	default:
		d += 7 - (today - wday)
	}
	target = time.Date(y, mo, d, h, m, 0, 0, now.Location())
	return target.Sub(now)
}

// untilMonthDay is get_time_to_month_day.
func untilMonthDay(now time.Time, day int, at string, months int) time.Duration {
	h, m := hhmm(at)
	y, mo, today := now.Date()
	target := time.Date(y, mo, day, h, m, 0, 0, now.Location())
	if today < day || today == day && target.After(now) {
		months = 0
	}
	target = time.Date(y, mo+time.Month(months), day, h, m, 0, 0, now.Location())
	return target.Sub(now)
}
