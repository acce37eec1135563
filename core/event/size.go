package event

import (
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

const (
	// Header precedes every event on the queue socket.
	Header = "1:Wazuh-AWS:"
	// MaxDatagram is the largest datagram the agent's queue accepts,
	// including Header and the NUL that Wazuh's SendMSG appends.
	MaxDatagram = 65536
	// MaxEvent is the largest JSON text Encode returns.
	MaxEvent = MaxDatagram - len(Header) - 1
	// TruncatedSuffix ends every string value Encode shortened.
	TruncatedSuffix = "...[truncated]"
)

// Marker members Encode adds to "aws" (or to the top level when the
// message has no "aws" object) of a trimmed event.
const (
	KeyTruncated     = "wazuh_truncated"      // true
	KeyOriginalSize  = "wazuh_original_size"  // bytes of the untrimmed JSON
	KeyDroppedFields = "wazuh_dropped_fields" // names of removed members (capped list)
	KeyDroppedCount  = "wazuh_dropped_count"  // how many members were removed
)

const (
	minStringBudget = 2 + len(TruncatedSuffix) + 16 // encoded bytes, quotes included
	droppedNamesMax = 2048                          // encoded bytes of the name list
	droppedNameMax  = 128                           // encoded bytes of one listed name
	lastResortMax   = 512                           // encoded bytes of a log_info string
)

// identifying members of "aws" that trimming keeps as long as it can.
var identifying = map[string]bool{
	"log_info": true, "source": true, "aws_account_id": true, "eventName": true,
	"eventSource": true, "eventID": true, "eventTime": true, "eventType": true,
	"awsRegion": true,
}

func isMarker(k string) bool {
	switch k {
	case KeyTruncated, KeyOriginalSize, KeyDroppedFields, KeyDroppedCount:
		return true
	}
	return false
}

// Encode returns msg as the script's json.dumps text. When that exceeds
// MaxEvent it returns a trimmed copy that fits instead, with trimmed true
// (see the package documentation for the rules); msg itself is not
// modified. The caller should log a warning for a trimmed event.
func Encode(msg *pyjson.Object) (data []byte, trimmed bool) {
	// Most events are a few kilobytes; starting there saves the first
	// regrowths of the buffer.
	return AppendEncode(make([]byte, 0, 4096), msg)
}

// AppendEncode is Encode appending to dst, so that a caller holding many
// events can encode them into one buffer.
func AppendEncode(dst []byte, msg *pyjson.Object) (data []byte, trimmed bool) {
	start := len(dst)
	dst = pyjson.AppendValue(dst, msg)
	if n := len(dst) - start; n > MaxEvent {
		return append(dst[:start], trim(msg, n)...), true
	}
	return dst, false
}

func trim(orig *pyjson.Object, size int) []byte {
	m := orig.Clone()
	host := m
	if a, ok := m.Get("aws"); ok {
		if o, ok := isDict(a); ok {
			host = o
		}
	}
	host.Set(KeyTruncated, true)
	host.Set(KeyOriginalSize, pyjson.Number(strconv.Itoa(size)))

	data := pyjson.Marshal(m)
	if len(data) <= MaxEvent {
		return data
	}
	shrinkStrings(collectStrings(m, host, true), len(data)-MaxEvent)
	if data = pyjson.Marshal(m); len(data) <= MaxEvent {
		return data
	}
	if data, host = dropMembers(m, host, data); len(data) <= MaxEvent {
		return data
	}
	shrinkStrings(collectStrings(m, host, false), len(data)-MaxEvent)
	if data = pyjson.Marshal(m); len(data) <= MaxEvent {
		return data
	}
	return lastResort(orig, size)
}

// strRef is a string value inside an object member or an array element.
type strRef struct {
	obj *pyjson.Object
	key string
	arr []pyjson.Value
	idx int
	s   string
	enc int
}

func (r *strRef) set(s string) {
	if r.obj != nil {
		r.obj.Set(r.key, s)
	} else {
		r.arr[r.idx] = s
	}
}

// collectStrings lists the string values that may be shortened: never
// "integration" or the markers; with keep, not the identifying members of
// host either.
func collectStrings(m, host *pyjson.Object, keep bool) []strRef {
	var refs []strRef
	var walk func(v pyjson.Value, obj *pyjson.Object, key string, arr []pyjson.Value, idx int)
	walk = func(v pyjson.Value, obj *pyjson.Object, key string, arr []pyjson.Value, idx int) {
		switch t := v.(type) {
		case string:
			refs = append(refs, strRef{obj: obj, key: key, arr: arr, idx: idx, s: t, enc: encodedLen(t)})
		case *pyjson.Object:
			if t == nil {
				return
			}
			for _, k := range t.Keys() {
				if t == m && k == "integration" {
					continue
				}
				if t == host && (isMarker(k) || keep && identifying[k]) {
					continue
				}
				e, _ := t.Get(k)
				walk(e, t, k, nil, 0)
			}
		case []pyjson.Value:
			for i, e := range t {
				walk(e, nil, "", t, i)
			}
		}
	}
	walk(m, nil, "", nil, 0)
	return refs
}

// shrinkStrings cuts the longest strings to one common encoded length C,
// the largest for which the bytes saved cover excess (never below
// minStringBudget, in which case the saving may fall short).
func shrinkStrings(refs []strRef, excess int) {
	if len(refs) == 0 || excess <= 0 {
		return
	}
	order := make([]int, len(refs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return refs[order[a]].enc > refs[order[b]].enc })
	limit := -1
	sum := 0
	for k, i := range order {
		sum += refs[i].enc
		next := 0
		if k+1 < len(order) {
			next = refs[order[k+1]].enc
		}
		if sum < excess {
			continue
		}
		if c := (sum - excess) / (k + 1); c >= next {
			limit = c
			break
		}
	}
	if limit < minStringBudget {
		limit = minStringBudget
	}
	for i := range refs {
		if refs[i].enc > limit {
			refs[i].set(truncateTo(refs[i].s, limit))
		}
	}
}

// truncateTo returns a prefix of s (cut between code points) followed by
// TruncatedSuffix whose JSON encoding takes at most budget bytes.
func truncateTo(s string, budget int) string {
	avail := budget - 2 - len(TruncatedSuffix)
	cut, used := 0, 0
	for cut < len(s) {
		n, c := charCost(s, cut)
		if used+c > avail {
			break
		}
		used += c
		cut += n
	}
	return s[:cut] + TruncatedSuffix
}

// encodedLen is len(pyjson.AppendString(nil, s)).
func encodedLen(s string) int {
	total := 2
	for i := 0; i < len(s); {
		n, c := charCost(s, i)
		total += c
		i += n
	}
	return total
}

// charCost returns the byte length of the code point at s[i] and the bytes
// its ensure_ascii escape takes.
func charCost(s string, i int) (int, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			return 1, 2
		case c < 0x20 || c == 0x7f:
			return 1, 6
		}
		return 1, 1
	}
	if isSurrogateAt(s, i) {
		return 3, 6
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r > 0xFFFF {
		return n, 12
	}
	return n, 6
}

// dropMembers removes members of host, largest encoding first (later
// members first among equals), until the message fits. It returns the new
// encoding and host (rebuilt, as deleting keys one by one is quadratic).
func dropMembers(m, host *pyjson.Object, data []byte) ([]byte, *pyjson.Object) {
	type cand struct {
		key  string
		pos  int
		cost int
	}
	var cands []cand
	for i, k := range host.Keys() {
		if isMarker(k) || identifying[k] || host == m && k == "integration" {
			continue
		}
		v, _ := host.Get(k)
		cost := encodedLen(k) + len(": ") + len(pyjson.AppendValue(nil, v)) + len(", ")
		cands = append(cands, cand{k, i, cost})
	}
	sort.Slice(cands, func(a, b int) bool {
		if cands[a].cost != cands[b].cost {
			return cands[a].cost > cands[b].cost
		}
		return cands[a].pos > cands[b].pos
	})

	dropped := map[string]bool{}
	var names []pyjson.Value
	namesLen := 0
	size := len(data)
	overhead := len(`, "`+KeyDroppedFields+`": []`) + len(`, "`+KeyDroppedCount+`": `) + 7
	for _, c := range cands {
		if size+overhead+namesLen <= MaxEvent {
			break
		}
		dropped[c.key] = true
		size -= c.cost
		name := c.key
		if encodedLen(name) > droppedNameMax {
			name = truncateTo(name, droppedNameMax)
		}
		if l := encodedLen(name) + len(", "); namesLen+l <= droppedNamesMax {
			names = append(names, name)
			namesLen += l
		}
	}
	if len(dropped) == 0 {
		return data, host
	}
	kept := pyjson.NewObject(host.Len() - len(dropped) + 2)
	for _, k := range host.Keys() {
		if !dropped[k] {
			v, _ := host.Get(k)
			kept.Set(k, v)
		}
	}
	if names == nil {
		names = []pyjson.Value{}
	}
	kept.Set(KeyDroppedFields, names)
	kept.Set(KeyDroppedCount, pyjson.Number(strconv.Itoa(len(dropped))))
	if host == m {
		return pyjson.Marshal(kept), kept
	}
	m.Set("aws", kept)
	return pyjson.Marshal(m), kept
}

// lastResort keeps "integration", the log_info strings (shortened) and the
// markers: a few kilobytes at most, whatever the input.
func lastResort(orig *pyjson.Object, size int) []byte {
	host := orig
	if a, ok := orig.Get("aws"); ok {
		if o, ok := isDict(a); ok {
			host = o
		}
	}
	info := pyjson.NewObject(3)
	if v, ok := host.Get("log_info"); ok {
		if li, ok := isDict(v); ok {
			for _, k := range [...]string{"aws_account_alias", "log_file", "s3bucket"} {
				if s, ok := li.Get(k); ok {
					if str, ok := s.(string); ok {
						if encodedLen(str) > lastResortMax {
							str = truncateTo(str, lastResortMax)
						}
						info.Set(k, str)
					}
				}
			}
		}
	}
	aws := pyjson.NewObject(5)
	aws.Set("log_info", info)
	aws.Set(KeyTruncated, true)
	aws.Set(KeyOriginalSize, pyjson.Number(strconv.Itoa(size)))
	dropped := 0
	for _, k := range host.Keys() {
		if k != "log_info" && (host != orig || k != "integration") {
			dropped++
		}
	}
	aws.Set(KeyDroppedFields, []pyjson.Value{})
	aws.Set(KeyDroppedCount, pyjson.Number(strconv.Itoa(dropped)))
	out := pyjson.NewObject(2)
	out.Set("integration", "aws")
	out.Set("aws", aws)
	return pyjson.Marshal(out)
}
