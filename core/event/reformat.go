package event

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// ipPrefix is the script's re.match(r'\d+\.\d+.\d+.\d+', v): a prefix
// match, Unicode digits, and the last two dots unescaped on purpose.
var ipPrefix = regexp.MustCompile(`^\p{Nd}+\.\p{Nd}+.\p{Nd}+.\p{Nd}+`)

// ipPrefixASCII is ipPrefix.Match for ASCII s, without the regexp
// machinery the fast path would otherwise pay for each record.
func ipPrefixASCII(s []byte) bool {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i > 0 && i < len(s) && s[i] == '.' && digitRuns(s[i+1:], 2)
}

// digitRuns reports whether s starts with k+1 runs of digits, each but
// the first after any one character other than a newline. A digit may
// be that character, hence the search over where a run ends; it ends at
// once for the inputs met in practice.
func digitRuns(s []byte, k int) bool {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	if n == 0 || k == 0 {
		return n > 0
	}
	for a := 1; a <= n && a < len(s); a++ {
		if s[a] != '\n' && digitRuns(s[a+1:], k-1) {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func awsOf(msg *pyjson.Object) *pyjson.Object {
	v, _ := msg.Get("aws")
	return v.(*pyjson.Object)
}

func valueObj(k string, v pyjson.Value) *pyjson.Object {
	o := pyjson.NewObject(1)
	o.Set(k, v)
	return o
}

func (b *Builder) warnReformat(msg *pyjson.Object) {
	b.log().Print("WARNING: Could not reformat event " + pyjson.Repr(msg))
}

// reformatLine is the debug line reformat_msg starts with.
const reformatLine = "++ Reformat message"

// reformatBase is AWSBucket.reformat_msg.
func (b *Builder) reformatBase(msg *pyjson.Object) error {
	b.log().Debug(3, reformatLine)
	flatten(msg)
	aws := awsOf(msg)
	if v, ok := aws.Get("sourceIPAddress"); ok {
		s, isStr := v.(string)
		if !isStr {
			return typeErr("expected string or bytes-like object, got '" + pyjson.TypeName(v) + "'")
		}
		if ipPrefix.MatchString(oneRunePerSurrogate(s)) {
			aws.Set("source_ip_address", s)
		}
	}
	if v, ok := aws.Get("tags"); ok {
		if _, d := isDict(v); !d {
			aws.Set("tags", valueObj("value", v))
		}
	}
	return nil
}

// oneRunePerSurrogate makes each WTF-8 lone surrogate a single rune so that
// "." consumes it whole, as Python's "." consumes one code point.
func oneRunePerSurrogate(s string) string {
	if strings.IndexByte(s, 0xED) < 0 {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		n := charLen(s, i)
		if n == 3 && pyjson.IsSurrogateAt(s, i) {
			sb.WriteRune(unicode.ReplacementChar)
		} else {
			sb.WriteString(s[i : i+n])
		}
		i += n
	}
	return sb.String()
}

// flatten replaces every one-element array member of an object by its
// element (not visited further) and descends into objects, never arrays.
func flatten(o *pyjson.Object) {
	for _, k := range o.Keys() {
		v, _ := o.Get(k)
		switch t := v.(type) {
		case []pyjson.Value:
			if len(t) == 1 {
				o.Set(k, t[0])
			}
		case *pyjson.Object:
			if t != nil {
				flatten(t)
			}
		}
	}
}

var cloudTrailDynamic = [...]string{"additionalEventData", "responseElements", "requestParameters"}

// reformatCloudTrail is AWSCloudTrailBucket.reformat_msg.
func (b *Builder) reformatCloudTrail(msg *pyjson.Object) error {
	if err := b.reformatBase(msg); err != nil {
		return err
	}
	aws := awsOf(msg)
	for _, f := range cloudTrailDynamic {
		if v, ok := aws.Get(f); ok {
			if _, d := isDict(v); !d {
				aws.Set(f, valueObj("string", pyStr(v)))
			}
		}
	}
	rp, ok := aws.Get("requestParameters")
	if !ok {
		return nil
	}
	params := rp.(*pyjson.Object) // made an object just above
	if v, ok := params.Get("disableApiTermination"); ok {
		switch t := v.(type) {
		case bool:
			params.Set("disableApiTermination", valueObj("value", t))
		case *pyjson.Object:
			if t == nil {
				b.warnReformat(msg)
			}
		default:
			b.warnReformat(msg)
		}
	}
	return nil
}

// reformatConfig is AWSConfigBucket.reformat_msg. The Python helpers keep
// the script's behaviour when "configuration" or its members have
// unexpected types.
func (b *Builder) reformatConfig(msg *pyjson.Object) error {
	if err := b.reformatBase(msg); err != nil {
		return err
	}
	aws := awsOf(msg)
	conf, ok := aws.Get("configuration")
	if !ok {
		return nil
	}
	keys, err := pyIter(conf)
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, err := pyIndex(conf, k)
		if err != nil {
			return err
		}
		o, d := isDict(v)
		if !d {
			continue
		}
		content, ok := o.Get("Content")
		if !ok {
			continue
		}
		c, d := isDict(content)
		if !d {
			return &PyError{Class: "AttributeError", Msg: "'" + pyjson.TypeName(content) + "' object has no attribute 'keys'"}
		}
		names := make([]pyjson.Value, c.Len())
		for i, n := range c.Keys() {
			names[i] = n
		}
		o.Set("Content", names)
	}

	if err := b.configGroups(msg, conf, "securityGroups", "groupId", "groupId", "groupName"); err != nil {
		return err
	}
	if err := b.configGroups(msg, conf, "availabilityZones", "zoneName", "subnetId", "zoneName"); err != nil {
		return err
	}
	if err := b.configNamed(msg, conf, "state"); err != nil {
		return err
	}

	has, err := pyContains(conf, "createdTime")
	if err != nil {
		return err
	}
	if has {
		v, err := pyIndex(conf, "createdTime")
		if err != nil {
			return err
		}
		co := conf.(*pyjson.Object) // indexed by a string: an object
		if isNumber(v) {
			f, err := pyFloat(v)
			if err != nil {
				return err
			}
			co.Set("createdTime", f)
		} else if t, ok := parseCreatedTime(pyStr(v), b.Loc); ok {
			co.Set("createdTime", pyjson.FloatNumber(float64(t)))
		} else {
			b.warnReformat(msg)
		}
	}

	return b.configNamed(msg, conf, "iamInstanceProfile")
}

// configGroups handles securityGroups and availabilityZones: a string
// becomes {single: [s]}, an array of objects {a: [...], b: [...]} with the
// non-empty lists, an object {k: [v]}; anything else is a warning.
func (b *Builder) configGroups(msg *pyjson.Object, conf pyjson.Value, field, single, a, bName string) error {
	has, err := pyContains(conf, field)
	if err != nil || !has {
		return err
	}
	v, err := pyIndex(conf, field)
	if err != nil {
		return err
	}
	co := conf.(*pyjson.Object)
	switch t := v.(type) {
	case string:
		co.Set(field, valueObj(single, []pyjson.Value{t}))
	case []pyjson.Value:
		as, err := collect(t, a)
		if err != nil {
			return err
		}
		bs, err := collect(t, bName)
		if err != nil {
			return err
		}
		out := pyjson.NewObject(2)
		if len(as) > 0 {
			out.Set(a, as)
		}
		if len(bs) > 0 {
			out.Set(bName, bs)
		}
		co.Set(field, out)
	case *pyjson.Object:
		if t == nil {
			b.warnReformat(msg)
			return nil
		}
		out := pyjson.NewObject(t.Len())
		for _, k := range t.Keys() {
			e, _ := t.Get(k)
			out.Set(k, []pyjson.Value{e})
		}
		co.Set(field, out)
	default:
		b.warnReformat(msg)
	}
	return nil
}

// collect is [e[name] for e in list if name in e].
func collect(list []pyjson.Value, name string) ([]pyjson.Value, error) {
	var out []pyjson.Value
	for _, e := range list {
		has, err := pyContains(e, name)
		if err != nil {
			return nil, err
		}
		if !has {
			continue
		}
		v, err := pyIndex(e, name)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// configNamed handles state and iamInstanceProfile: a string s becomes
// {"name": s}, an object stays, anything else is a warning.
func (b *Builder) configNamed(msg *pyjson.Object, conf pyjson.Value, field string) error {
	has, err := pyContains(conf, field)
	if err != nil || !has {
		return err
	}
	v, err := pyIndex(conf, field)
	if err != nil {
		return err
	}
	switch t := v.(type) {
	case string:
		conf.(*pyjson.Object).Set(field, valueObj("name", t))
	case *pyjson.Object:
		if t == nil {
			b.warnReformat(msg)
		}
	default:
		b.warnReformat(msg)
	}
	return nil
}

// createdTimeRE is the regex Python's strptime builds for
// "%Y-%m-%dT%H:%M:%S.%fZ" (compiled IGNORECASE; \d is any Unicode digit).
var createdTimeRE = regexp.MustCompile(`^(?i)(\p{Nd}\p{Nd}\p{Nd}\p{Nd})-(1[0-2]|0[1-9]|[1-9])-(3[0-1]|[1-2]\p{Nd}|0[1-9]|[1-9]| [1-9])T(2[0-3]|[0-1]\p{Nd}|\p{Nd}):([0-5]\p{Nd}|\p{Nd}):(6[0-1]|[0-5]\p{Nd}|\p{Nd})\.([0-9]{1,6})Z$`)

// parseCreatedTime is time.mktime(datetime.strptime(s,
// "%Y-%m-%dT%H:%M:%S.%fZ").timetuple()): the fraction is dropped and the
// wall time is read in loc (the host's zone for the script).
func parseCreatedTime(s string, loc *time.Location) (int64, bool) {
	m := createdTimeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	var n [6]int
	for i := range n {
		n[i] = digits(strings.TrimLeft(m[i+1], " "))
	}
	year, month, day, hour, minute, second := n[0], n[1], n[2], n[3], n[4], n[5]
	if year < 1 || second > 59 || day > daysIn(year, month) {
		return 0, false // datetime() rejects these
	}
	if loc == nil {
		loc = time.Local
	}
	return time.Date(year, time.Month(month), day, hour, minute, second, 0, loc).Unix(), true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// digits is Python's int() of a string of Unicode decimal digits.
func digits(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + digitValue(r)
	}
	return n
}

// digitValue relies on every Unicode Nd range starting at a zero and
// running in blocks of ten, which holds for the Unicode tables.
func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	return 0
}

var macieSummaryFields = [...]string{"Bucket", "DLP risk", "IP", "Location", "Object", "Owner", "Themes", "Timestamps", "recipientAccountId"}

// reformatCustom is AWSCustomBucket.reformat_msg.
func (b *Builder) reformatCustom(msg *pyjson.Object) error {
	if err := b.reformatBase(msg); err != nil {
		return err
	}
	aws := awsOf(msg)
	src, ok := aws.Get("source")
	if !ok {
		return keyErr("source")
	}
	macie := src == "macie"
	if macie && aws.Has("trigger") {
		aws.Delete("trigger")
	}
	if err := wrapUnusual(aws); err != nil {
		return err
	}
	if !macie {
		return nil
	}
	for _, f := range macieSummaryFields {
		summary, err := pyIndex(aws, "summary")
		if err == nil {
			var v pyjson.Value
			if v, err = pyIndex(summary, f); err == nil {
				if o, d := isDict(v); d {
					var paths []pyjson.Value
					if paths, err = listPaths(o, 1, nil); err == nil {
						err = pySetItem(summary, f, paths)
					}
				}
			}
		}
		if err != nil && !isKeyErr(err) {
			return err
		}
	}
	if err := macieEvents(aws); err != nil && !isKeyErr(err) {
		return err
	}
	return nil
}

func wrapUnusual(aws *pyjson.Object) error {
	svc, ok := aws.Get("service")
	if !ok {
		return nil
	}
	has, err := pyContains(svc, "additionalInfo")
	if err != nil || !has {
		return err
	}
	info, err := pyIndex(svc, "additionalInfo")
	if err != nil {
		return err
	}
	if has, err = pyContains(info, "unusual"); err != nil || !has {
		return err
	}
	u, err := pyIndex(info, "unusual")
	if err != nil {
		return err
	}
	if _, d := isDict(u); d {
		return nil
	}
	return pySetItem(info, "unusual", valueObj("value", u))
}

// macieEvents rewrites summary.Events.<name>.<field>; the script wraps the
// whole loop in one `except KeyError`, so a KeyError stops it midway.
func macieEvents(aws *pyjson.Object) error {
	summary, err := pyIndex(aws, "summary")
	if err != nil {
		return err
	}
	events, err := pyIndex(summary, "Events")
	if err != nil {
		return err
	}
	names, err := pyIter(events)
	if err != nil {
		return err
	}
	for _, name := range names {
		ev, err := pyIndex(events, name)
		if err != nil {
			return err
		}
		fields, err := pyIter(ev)
		if err != nil {
			return err
		}
		for _, f := range fields {
			container, err := pyIndex(events, name)
			if err != nil {
				return err
			}
			cur, err := pyIndex(container, f)
			if err != nil {
				return err
			}
			discard := 1
			if f == "count" {
				discard = 0 // path[:-0] is empty: every leaf becomes ""
			}
			paths, err := listPaths(cur, discard, nil)
			if err != nil {
				return err
			}
			if err := pySetItem(container, f, paths); err != nil {
				return err
			}
		}
	}
	return nil
}

// listPaths is the script's list_paths_from_dict with glue ".": the leaf
// paths of d, each without its last discard elements.
func listPaths(d pyjson.Value, discard int, path []pyjson.Value) ([]pyjson.Value, error) {
	if o, ok := isDict(d); ok {
		out := []pyjson.Value{}
		for _, k := range o.Keys() {
			v, _ := o.Get(k)
			items, err := listPaths(v, discard, append(path[:len(path):len(path)], k))
			if err != nil {
				return nil, err
			}
			out = append(out, items...)
		}
		return out, nil
	}
	path = path[:len(path):len(path)]
	if l, ok := d.([]pyjson.Value); ok {
		path = append(path, l...)
	} else {
		path = append(path, pyStr(d))
	}
	end := len(path) - discard
	if discard == 0 || end < 0 {
		end = 0
	}
	var sb strings.Builder
	for i, p := range path[:end] {
		s, ok := p.(string)
		if !ok {
			return nil, typeErr("sequence item " + strconv.Itoa(i) + ": expected str instance, " + pyjson.TypeName(p) + " found")
		}
		if i > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(s)
	}
	return []pyjson.Value{sb.String()}, nil
}

// reformatGuardDuty is AWSGuardDutyBucket.reformat_msg: a port-probe
// finding with several details becomes one message per detail with no
// other change; anything else gets the base reformat (which logs
// "++ Reformat message" a second time, as the script did).
func (b *Builder) reformatGuardDuty(msg *pyjson.Object, source string) ([]*pyjson.Object, error) {
	b.log().Debug(3, reformatLine)
	aws := awsOf(msg)
	params, details, err := portProbe(aws, source)
	if err != nil {
		return nil, err
	}
	if params == nil {
		if err := b.reformatBase(msg); err != nil {
			return nil, err
		}
		return []*pyjson.Object{msg}, nil
	}
	each, err := pyIter(details)
	if err != nil {
		return nil, err
	}
	out := make([]*pyjson.Object, len(each))
	for i, d := range each {
		params.Set("portProbeDetails", d)
		if i == len(each)-1 {
			out[i] = msg
		} else {
			out[i] = msg.Clone()
		}
	}
	return out, nil
}

// portProbe returns service.action.portProbeAction and its
// portProbeDetails when the finding, of source, must be split, nil
// otherwise.
func portProbe(aws *pyjson.Object, source string) (*pyjson.Object, pyjson.Value, error) {
	src, ok := aws.Get("source")
	if !ok {
		return nil, nil, keyErr("source")
	}
	if src != source {
		return nil, nil, nil
	}
	var cur pyjson.Value = aws
	for _, k := range [...]string{"service", "action", "portProbeAction"} {
		has, err := pyContains(cur, k)
		if err != nil || !has {
			return nil, nil, err
		}
		if cur, err = pyIndex(cur, k); err != nil {
			return nil, nil, err
		}
	}
	has, err := pyContains(cur, "portProbeDetails")
	if err != nil || !has {
		return nil, nil, err
	}
	details, err := pyIndex(cur, "portProbeDetails")
	if err != nil {
		return nil, nil, err
	}
	n, err := pyLen(details)
	if err != nil || n <= 1 {
		return nil, nil, err
	}
	return cur.(*pyjson.Object), details, nil
}
