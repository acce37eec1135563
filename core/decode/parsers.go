package decode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

type emitFunc = func(*pyjson.Object) error

// rawHook is Options.Raw or Options.RawTokens, its error wrapped as
// emit's; toks is nil for Raw.
type rawHook struct {
	fn     func(record []byte, toks []pyjson.Token) (handled bool, err error)
	tokens bool
	toks   []pyjson.Token // space for the tokens
}

// parseAWSLogs reads a CloudTrail or Config document: json.load, then, if
// the top level has field, dict(x, source=source) for each x in it. With
// raw set, each element's text goes to raw first; the elements it does not
// handle are decoded from that text, with the same limits.
func parseAWSLogs(text io.Reader, field, source string, lim Limits, raw *rawHook, emit emitFunc) error {
	d := pyjson.NewDecoder(text)
	defer d.Release()
	d.Limits = lim.JSON()
	elem := func(v pyjson.Value) error {
		o, e := toDict(v)
		if e != nil {
			return e
		}
		o.Set("source", source)
		return emit(o)
	}
	var top pyjson.Value
	var err error
	if raw == nil {
		top, err = d.DecodeStreaming(field, elem)
	} else {
		record := func(rec []byte, toks []pyjson.Token) error {
			handled, err := raw.fn(rec, toks)
			if err != nil || handled {
				return err
			}
			rd := pyjson.NewDecoderBytes(rec)
			rd.Limits = d.Limits
			v, err := rd.RawDecode()
			if err != nil {
				// The streaming decoder checked these bytes already.
				return fmt.Errorf("decode: record checked but not decoded: %w", err)
			}
			return elem(v)
		}
		if raw.tokens {
			top, err = d.DecodeStreamingTokens(field, raw.toks, record)
		} else {
			top, err = d.DecodeStreamingRaw(field, func(rec []byte) error { return record(rec, nil) })
		}
	}
	if err != nil {
		return jsonErr(err)
	}
	has, e := contains(top, field)
	if e != nil {
		return e
	}
	if !has {
		return nil
	}
	v, e := index(top, field)
	if e != nil {
		return e
	}
	// Iterating something other than an array, as Python would.
	switch t := v.(type) {
	case []pyjson.Value:
		return nil // streamed
	case *pyjson.Object:
		for _, k := range t.Keys() {
			o, e := toDict(k)
			if e != nil {
				return e
			}
			o.Set("source", source)
			if err := emit(o); err != nil {
				return err
			}
		}
		return nil
	case string:
		if t == "" {
			return nil
		}
		return pyErr(Parse, "ValueError('dictionary update sequence element #0 has length 1; 2 is required')")
	}
	return typeError(fmt.Sprintf("'%s' object is not iterable", pyjson.TypeName(v)))
}

var vpcFields = []string{"version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport",
	"dstport", "protocol", "packets", "bytes", "start", "end", "action", "log_status"}

func parseVPC(text io.Reader, source string, lim Limits, emit emitFunc) error {
	dr := newDictReader(text, ' ', lim, vpcFields)
	for {
		o, err := dr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range [...]string{"start", "end"} {
			v, _ := o.Get(k)
			if s, ok := v.(string); ok && (s == "start" || s == "end") {
				continue
			}
			iso, e := epochISO(v)
			if e != nil {
				return e
			}
			o.Set(k, iso)
		}
		o.Set("source", source)
		if err := emit(o); err != nil {
			return err
		}
	}
}

// epochISO is datetime.utcfromtimestamp(int(v)).strftime('%Y-%m-%dT%H:%M:%SZ').
func epochISO(v pyjson.Value) (string, *Error) {
	s, ok := v.(string)
	if !ok {
		return "", typeError(fmt.Sprintf("int() argument must be a string, a bytes-like object or a real number, not '%s'", pyjson.TypeName(v)))
	}
	n, ok := pyInt(s)
	if !ok {
		return "", pyErr(Parse, "ValueError("+reprStr("invalid literal for int() with base 10: "+reprStr(s))+")")
	}
	if !n.IsInt64() {
		return "", pyErr(Unknown, "OverflowError('timestamp out of range for platform time_t')")
	}
	t := time.Unix(n.Int64(), 0).UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return "", pyErr(Parse, fmt.Sprintf("ValueError('year %d is out of range')", y))
	}
	return strconv.Itoa(t.Year()) + t.Format("-01-02T15:04:05Z"), nil
}

// pyInt parses s as Python's int(s) does for ASCII digits: surrounding
// whitespace, a sign, and single underscores between digits.
func pyInt(s string) (*big.Int, bool) {
	s = strings.TrimFunc(s, isPySpace)
	digits := s
	if digits != "" && (digits[0] == '+' || digits[0] == '-') {
		digits = digits[1:]
	}
	if digits == "" || digits[0] == '_' || digits[len(digits)-1] == '_' || strings.Contains(digits, "__") {
		return nil, false
	}
	clean := strings.ReplaceAll(s, "_", "")
	for _, c := range strings.TrimLeft(clean, "+-") {
		if c < '0' || c > '9' {
			return nil, false
		}
	}
	n, ok := new(big.Int).SetString(clean, 10)
	return n, ok
}

// isPySpace is str.isspace() for one character.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

var albFields = []string{"type", "time", "elb", "client_port", "target_port", "request_processing_time",
	"target_processing_time", "response_processing_time", "elb_status_code", "target_status_code",
	"received_bytes", "sent_bytes", "request", "user_agent", "ssl_cipher", "ssl_protocol",
	"target_group_arn", "trace_id", "domain_name", "chosen_cert_arn", "matched_rule_priority",
	"request_creation_time", "action_executed", "redirect_url", "error_reason", "target_port_list",
	"target_status_code_list", "classification", "classification_reason"}

var albSplits = [...][2]string{{"client_port", "client_ip"}, {"target_port", "target_ip"},
	{"target_port_list", "target_ip_list"}}

func parseALB(text io.Reader, source string, opt Options, emit emitFunc) error {
	log := opt.log()
	dr := newDictReader(text, ' ', opt.Limits, albFields)
	for {
		o, err := dr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		o.Set("source", source)
	split:
		for _, f := range albSplits {
			v, _ := o.Get(f[0])
			s, ok := v.(string)
			if !ok {
				return pyErr(Unknown, fmt.Sprintf(`AttributeError("'%s' object has no attribute 'split'")`, pyjson.TypeName(v)))
			}
			var ip, port strings.Builder
			for _, item := range strings.FieldsFunc(s, isPySpace) {
				host, rest, found := strings.Cut(item, ":")
				if !found {
					log.Debug(1, "Unable to process correctly ABL log entry, for field "+f[0]+".")
					if log.Enabled(2) {
						log.Debug(2, "Log Entry: "+reprEvent(o))
					}
					continue split
				}
				p, _, _ := strings.Cut(rest, ":")
				ip.WriteString(host)
				ip.WriteByte(' ')
				port.WriteString(p)
				port.WriteByte(' ')
			}
			o.Set(f[0], strings.TrimFunc(port.String(), isPySpace))
			o.Set(f[1], strings.TrimFunc(ip.String(), isPySpace))
		}
		if err := emit(o); err != nil {
			return err
		}
	}
}

var clbFields = []string{"time", "elb", "client_port", "backend_port", "request_processing_time",
	"backend_processing_time", "response_processing_time", "elb_status_code", "backend_status_code",
	"received_bytes", "sent_bytes", "request", "user_agent", "ssl_cipher", "ssl_protocol"}

func parseCLB(text io.Reader, source string, lim Limits, emit emitFunc) error {
	return eachRow(text, ' ', lim, clbFields, func(o *pyjson.Object) error {
		o.Set("source", source)
		return emit(o)
	})
}

func eachRow(text io.Reader, delim byte, lim Limits, fields []string, fn emitFunc) error {
	dr := newDictReader(text, delim, lim, fields)
	for {
		o, err := dr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
	}
}

var nlbFields = []string{"type", "version", "time", "elb", "listener", "client_port", "destination_port",
	"connection_time", "tls_handshake_time", "received_bytes", "sent_bytes", "incoming_tls_alert",
	"chosen_cert_arn", "chosen_cert_serial", "tls_cipher", "tls_protocol_version", "tls_named_group",
	"domain_name", "alpn_fe_protocol", "alpn_client_preference_list"}

func parseNLB(text io.Reader, source string, lim Limits, emit emitFunc) error {
	return eachRow(text, ' ', lim, nlbFields, func(o *pyjson.Object) error {
		o.Set("source", source)
		// Python: a, b = value.split(':'); ValueError unless exactly two
		// parts, and then both ip fields take the *current* port values.
		split := func(portKey, ipKey string) (bool, *Error) {
			v, _ := o.Get(portKey)
			s, ok := v.(string)
			if !ok {
				return false, pyErr(Unknown, fmt.Sprintf(`AttributeError("'%s' object has no attribute 'split'")`, pyjson.TypeName(v)))
			}
			parts := strings.Split(s, ":")
			if len(parts) != 2 {
				return false, nil
			}
			o.Set(ipKey, parts[0])
			o.Set(portKey, parts[1])
			return true, nil
		}
		ok, e := split("client_port", "client_ip")
		if e == nil && ok {
			ok, e = split("destination_port", "destination_ip")
		}
		if e != nil {
			return e
		}
		if !ok {
			cp, _ := o.Get("client_port")
			o.Set("client_ip", cp)
			dp, _ := o.Get("destination_port")
			o.Set("destination_ip", dp)
		}
		return emit(o)
	})
}

var umbrellaFields = []struct {
	name   string
	fields []string
}{
	{"dnslogs", []string{"timestamp", "most_granular_identity", "identities", "internal_ip", "external_ip",
		"action", "query_type", "response_code", "domain", "categories", "most_granular_identity_type",
		"identity_types", "blocked_categories"}},
	{"proxylogs", []string{"timestamp", "identities", "internal_ip", "external_ip", "destination_ip",
		"content_type", "verdict", "url", "referer", "user_agent", "status_code", "requested_size",
		"response_size", "response_body_size", "sha", "categories", "av_detections", "puas",
		"amp_disposition", "amp_malware_name", "amp_score", "identity_type", "blocked_categories"}},
	{"iplogs", []string{"timestamp", "identity", "source_ip", "source_port", "destination_ip",
		"destination_port", "categories"}},
}

func parseUmbrella(text io.Reader, source, prefix string, lim Limits, emit emitFunc) error {
	var fields []string
	for _, u := range umbrellaFields {
		if strings.Contains(prefix, u.name) {
			fields = u.fields
			break
		}
	}
	if fields == nil {
		const msg = "Only 'dnslogs', 'proxylogs' or 'iplogs' are allowed for Cisco Umbrella"
		return &Error{Class: Prefix, Detail: "SystemExit(12)", Fatal: true, Log: msg}
	}
	return eachRow(text, ',', lim, fields, func(row *pyjson.Object) error {
		o := pyjson.NewObject(row.Len() + 1)
		for _, k := range row.Keys() {
			if v, _ := row.Get(k); v != nil {
				o.Set(k, v)
			}
		}
		o.Set("source", source)
		return emit(o)
	})
}

var serverAccessFields = []string{"bucket_owner", "bucket", "time", "remote_ip", "requester", "request_id",
	"operation", "key", "request_uri", "http_status", "error_code", "bytes_sent", "object_sent",
	"total_time", "turn_around_time", "referer", "user_agent", "version_id", "host_id",
	"signature_version", "cipher_suite", "authentication_type", "host_header", "tls_version"}

func parseServerAccess(text io.Reader, source string, lim Limits, emit emitFunc) error {
	return eachLine(text, lim.line(), func(line []byte) error {
		vals, e := serverAccessTokens(string(line), len(serverAccessFields))
		if e != nil {
			return e
		}
		o := pyjson.NewObject(len(serverAccessFields) + 1)
		for i, v := range vals {
			if i == len(serverAccessFields) {
				break
			}
			o.Set(serverAccessFields[i], v)
		}
		o.Set("source", source)
		return emit(o)
	})
}

// serverAccessTokens is the reference's parse_line, including its quirks
// (§4.2): it stops at the first empty token, merges bracketed and quoted
// values, and looks for '"' to close a single-quoted value.
//
// Values past the first keep+1 are not collected: the caller uses keep,
// and one more tells it that the last of those is not the line's last.
func serverAccessTokens(line string, keep int) ([]string, *Error) {
	// Tokens are taken one at a time rather than with strings.Split: a
	// long line of spaces would make millions of empty ones.
	rest, done := line, false
	next := func() string {
		if done {
			return ""
		}
		tok, after, found := strings.Cut(rest, " ")
		rest, done = after, !found
		return tok
	}
	strip := func(s string) string {
		if len(s) < 2 {
			return ""
		}
		return s[1 : len(s)-1]
	}
	var vals []string
	merge := func(delim byte) {
		last := len(vals) - 1
		var b strings.Builder // not +=: quadratic on a long line
		b.Grow(len(vals[last]) + 1 + len(rest))
		b.WriteString(vals[last])
		for nx := next(); nx != ""; nx = next() {
			b.WriteByte(' ')
			b.WriteString(nx)
			if nx[len(nx)-1] == delim {
				vals[last] = strip(b.String())
				return
			}
		}
		vals[last] = b.String()
	}
	for v := next(); v != "" && len(vals) <= keep; v = next() {
		vals = append(vals, v)
		first, last := v[0], v[len(v)-1]
		switch {
		case first == '[' && last != ']':
			merge(']')
		case first == '"' && last != '"':
			merge('"')
		case first == '\'' && last != '\'':
			merge('"')
		case first == '"' && last == '"', first == '\'' && last == '\'':
			vals[len(vals)-1] = strip(v)
		}
	}
	if len(vals) == 0 {
		return nil, pyErr(Unknown, "IndexError('list index out of range')")
	}
	vals[len(vals)-1] = strings.ReplaceAll(vals[len(vals)-1], "\n", "")
	return vals, nil
}

func parseGuardDuty(text io.Reader, lim Limits, emit emitFunc) error {
	return eachLine(text, lim.line(), func(line []byte) error {
		d := pyjson.NewDecoderBytes(line)
		d.Limits = lim.JSON()
		v, err := d.Load()
		if err != nil {
			return jsonErr(err)
		}
		svc, e := index(v, "service")
		if e != nil {
			return e
		}
		name, e := index(svc, "serviceName")
		if e != nil {
			return e
		}
		o, e := toDict(v)
		if e != nil {
			return e
		}
		o.Set("source", name)
		return emit(o)
	})
}

// maciePattern is the reference's fix for Macie findings whose
// coordinates have leading zeros (invalid JSON).
var maciePattern = regexp.MustCompile(`"lat":(-?0+\d+\.\d+),"lon":(-?0+\d+\.\d+)`)

// parseCustom is AWSCustomBucket.load_information_from_file: concatenated
// EventBridge JSON when the text starts with '{', else VPC-style rows
// whose first character was eaten by the probe read.
//
// The reference reads the whole text, and when raw_decode fails it
// substitutes every Macie match in the rest of the text (all of them by
// the first one's coordinates) and decodes again. The text is streamed
// here through macieReader, which makes that substitution from the start:
// the same thing, since a JSON value that decodes holds no match (a match
// is a number with a leading zero outside any string).
func parseCustom(text io.Reader, lim Limits, emit emitFunc, wholeRead *bool) error {
	br := bufio.NewReaderSize(text, 64<<10)
	c, _, err := br.ReadRune()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	if c != '{' {
		return eachRow(br, ' ', lim, vpcFields, func(o *pyjson.Object) error {
			o.Set("source", "vpc")
			return emit(o)
		})
	}
	*wholeRead = true
	d := pyjson.NewDecoder(&macieReader{r: io.MultiReader(strings.NewReader("{"), br)})
	defer d.Release()
	d.Limits = lim.JSON()
	for {
		// Deliberate fix: whitespace between and after objects is
		// accepted (the reference fails the whole object on it).
		more, err := d.SkipSpace()
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		d.SetOrigin() // errors count from the value, as raw_decode(data[pos:])
		v, err := d.RawDecode()
		if err != nil {
			return jsonErr(err)
		}
		has, e := contains(v, "detail")
		if e != nil {
			return e
		}
		if !has {
			continue
		}
		detail, e := index(v, "detail")
		if e != nil {
			return e
		}
		src, e := index(v, "source")
		if e != nil {
			return e
		}
		s, ok := src.(string)
		if !ok {
			return pyErr(Unknown, fmt.Sprintf(`AttributeError("'%s' object has no attribute 'replace'")`, pyjson.TypeName(src)))
		}
		o, e := toDict(detail)
		if e != nil {
			return e
		}
		o.Set("source", strings.ReplaceAll(s, "aws.", ""))
		if err := emit(o); err != nil {
			return err
		}
	}
}

// macieWindow bounds a Macie match: a candidate longer than this (a
// coordinate of hundreds of digits) is left as it is.
const macieWindow = 256

var (
	macieStart    = []byte(`"lat":`)
	macieAnchored = regexp.MustCompile(`^` + maciePattern.String())
)

// macieReader substitutes maciePattern's matches in a stream, all by the
// first match's coordinates as the reference does, holding back no more
// than macieWindow bytes.
type macieReader struct {
	r    io.Reader
	buf  []byte // read, not yet returned
	out  int    // buf[:out] is decided and can be returned
	err  error  // from r, returned once buf is empty
	repl []byte // the substitution, from the first match
}

func (m *macieReader) Read(p []byte) (int, error) {
	for m.out == 0 {
		if len(m.buf) == 0 && m.err != nil {
			return 0, m.err
		}
		if !m.scan() {
			m.more()
		}
	}
	n := copy(p, m.buf[:m.out])
	m.buf = m.buf[n:]
	m.out -= n
	return n, nil
}

// scan decides how much of buf can be returned; false means it needs
// more input.
func (m *macieReader) scan() bool {
	eof := m.err != nil
	i := bytes.Index(m.buf, macieStart)
	if i < 0 {
		// Keep back what could be the start of "lat":.
		keep := 0
		if !eof {
			for k := min(len(macieStart)-1, len(m.buf)); k > 0; k-- {
				if bytes.HasPrefix(macieStart, m.buf[len(m.buf)-k:]) {
					keep = k
					break
				}
			}
		}
		m.out = len(m.buf) - keep
		return m.out > 0 || eof
	}
	if i > 0 {
		m.out = i
		return true
	}
	window := m.buf[:min(len(m.buf), macieWindow)]
	full := eof || len(window) == macieWindow
	loc := macieAnchored.FindSubmatchIndex(window)
	switch {
	case loc != nil && (loc[1] < len(window) || full):
		if m.repl == nil {
			lat, _ := strconv.ParseFloat(string(window[loc[2]:loc[3]]), 64)
			lon, _ := strconv.ParseFloat(string(window[loc[4]:loc[5]]), 64)
			m.repl = fmt.Appendf(nil, `"lat":%s,"lon":%s`, pyjson.FloatNumber(lat), pyjson.FloatNumber(lon))
		}
		rest := m.buf[loc[1]:]
		nb := make([]byte, 0, len(m.repl)+len(rest)+4096)
		m.buf = append(append(nb, m.repl...), rest...)
		m.out = len(m.repl)
		return true
	case loc == nil && full:
		m.out = 1
		return true
	}
	return false
}

// more reads into buf.
func (m *macieReader) more() {
	if m.err != nil {
		return
	}
	if cap(m.buf)-len(m.buf) < 4096 {
		nb := make([]byte, len(m.buf), len(m.buf)+32<<10)
		copy(nb, m.buf)
		m.buf = nb
	}
	n, err := m.r.Read(m.buf[len(m.buf):cap(m.buf)])
	m.buf = m.buf[:len(m.buf)+n]
	if err != nil {
		m.err = err
	}
}

var standardHeaders = func() map[string]bool {
	m := map[string]bool{}
	for _, h := range []string{"a-im", "accept", "accept-charset", "accept-encoding", "accept-language",
		"access-control-request-method", "access-control-request-headers", "authorization",
		"cache-control", "connection", "content-encoding", "content-length", "content-type",
		"cookie", "date", "expect", "forwarded", "from", "host", "http2-settings", "if-match",
		"if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "max-forwards",
		"origin", "pragma", "prefer", "proxy-authorization", "range", "referer", "te", "trailer",
		"transfer-encoding", "user-agent", "upgrade", "via", "warning", "x-requested-with",
		"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"} {
		m[h] = true
	}
	return m
}()

// parseWAF is AWSWAFBucket.load_information_from_file. Its two error
// paths are handled here as the reference does: the ERROR line is logged
// and, with skip_on_error, processing goes on (the event kept as is, or
// the rest of the line dropped); without it a Fatal Parse *Error is
// returned and not logged (the caller logs Error.Log).
func parseWAF(text io.Reader, source, key string, opt Options, emit emitFunc) error {
	log := opt.log()
	return eachLine(text, opt.Limits.line(), func(raw []byte) error {
		line := strings.TrimRightFunc(string(raw), isPySpace)
		d := pyjson.NewDecoderBytes([]byte(line))
		d.Limits = opt.Limits.JSON()
		for d.InputOffset() < int64(len(line)) {
			v, err := d.RawDecode()
			var le *pyjson.LimitError
			if errors.As(err, &le) {
				// The object's failure, not the line's: see Limits.
				return jsonErr(err)
			}
			if err != nil {
				msg := "Events from " + path.Base("/"+key) + " file could not be loaded."
				if !opt.SkipOnError {
					return &Error{Class: Parse, Detail: "SystemExit(9)", Fatal: true, Log: msg, Err: jsonErr(err)}
				}
				log.Error(msg)
				break
			}
			o, ok := v.(*pyjson.Object)
			if !ok {
				if _, isList := v.([]pyjson.Value); isList {
					return typeError("list indices must be integers or slices, not str")
				}
				return typeError(fmt.Sprintf("'%s' object does not support item assignment", pyjson.TypeName(v)))
			}
			o.Set("source", source)
			bad, e := filterHeaders(o)
			if e != nil {
				return e
			}
			if bad {
				msg := "The " + key + " file doesn't have the expected structure."
				if !opt.SkipOnError {
					return &Error{Class: Parse, Detail: "SystemExit(9)", Fatal: true, Log: msg}
				}
				log.Error(msg)
			}
			if err := emit(o); err != nil {
				return err
			}
		}
		return nil
	})
}

// filterHeaders replaces httpRequest.headers by the standard headers keyed
// by their original name. bad reports the KeyError/TypeError case, which
// leaves the event untouched; a non-string name is Python's AttributeError.
func filterHeaders(event *pyjson.Object) (bad bool, _ *Error) {
	req, e := index(event, "httpRequest")
	if e != nil {
		return true, nil
	}
	hs, e := index(req, "headers")
	if e != nil {
		return true, nil
	}
	headers := pyjson.NewObject(8)
	switch t := hs.(type) {
	case []pyjson.Value:
		for _, el := range t {
			name, e := index(el, "name")
			if e != nil {
				return true, nil
			}
			s, ok := name.(string)
			if !ok {
				return false, pyErr(Unknown, fmt.Sprintf(`AttributeError("'%s' object has no attribute 'lower'")`, pyjson.TypeName(name)))
			}
			if standardHeaders[strings.ToLower(s)] {
				val, e := index(el, "value")
				if e != nil {
					return true, nil
				}
				headers.Set(s, val)
			}
		}
	case *pyjson.Object:
		if t.Len() > 0 {
			return true, nil // iterating keys: str["name"] is a TypeError
		}
	case string:
		if t != "" {
			return true, nil
		}
	default:
		return true, nil // not iterable
	}
	req.(*pyjson.Object).Set("headers", headers)
	return false, nil
}
