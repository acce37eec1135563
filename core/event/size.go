package event

import (
	"slices"
	"sort"
	"strconv"
	"strings"
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

// stringFloor is the length (encoded bytes, quotes included) the first
// pass never cuts a string below: shortening many small strings would
// mangle the whole event to save what dropping one large member saves.
const stringFloor = 1024

// protectedPaths are the members of "aws" that trimming keeps as long as
// it can: those that identify the event and those the Wazuh AWS rules
// (ruleset/rules/0350-amazon_rules.xml) match on or print. A path keeps
// its whole value; its ancestors are never dropped whole, only their other
// members. Arrays on a path are crossed: the path applies to each element.
var protectedPaths = []string{
	"log_info", "source", "aws_account_id",
	// CloudTrail and the events that share its shape (KMS, custom).
	"eventName", "eventSource", "eventID", "eventTime", "eventType", "awsRegion",
	"errorCode", "errorMessage", "sourceIPAddress", "recipientAccountId",
	"userIdentity", "requestParameters.bucketName", "responseElements.ConsoleLogin",
	// GuardDuty, Macie, Inspector, Trusted Advisor.
	"severity", "title", "name", "createdAt", "summary.description", "status", "uuid", "check-name",
	"service.serviceName", "service.action.actionType",
	"service.action.portProbeAction.portProbeDetails.remoteIpDetails.ipAddressV4",
	"service.action.portProbeAction.portProbeDetails.localPortDetails.port",
	// VPC flow, WAF, server access.
	"action", "interface_id", "protocol", "httpRequest.clientIp",
	"operation", "request_uri", "error_code", "requester", "http_status",
	// Config.
	"configurationItemStatus", "awsAccountId", "resourceType", "resourceId",
	"configuration.complianceType", "configuration.configRuleList.configRuleName",
}

// protNode is a node of the tree of protectedPaths.
type protNode struct {
	whole bool // the value at this path is kept whole
	kids  map[string]*protNode
}

var protected = func() *protNode {
	root := &protNode{}
	for _, p := range protectedPaths {
		n := root
		for _, seg := range strings.Split(p, ".") {
			if n.kids == nil {
				n.kids = map[string]*protNode{}
			}
			if n.kids[seg] == nil {
				n.kids[seg] = &protNode{}
			}
			n = n.kids[seg]
		}
		n.whole = true
	}
	return root
}()

func (n *protNode) kid(k string) *protNode {
	if n == nil || n.whole {
		return n
	}
	return n.kids[k]
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
	shrinkStrings(collectStrings(m, host, true), len(data)-MaxEvent, stringFloor)
	if data = pyjson.Marshal(m); len(data) <= MaxEvent {
		return data
	}
	if data = dropMembers(m, host, data); len(data) <= MaxEvent {
		return data
	}
	shrinkStrings(collectStrings(m, host, true), len(data)-MaxEvent, minStringBudget)
	if data = pyjson.Marshal(m); len(data) <= MaxEvent {
		return data
	}
	shrinkStrings(collectStrings(m, host, false), len(data)-MaxEvent, minStringBudget)
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
// "integration" or the markers; with keep, not the protected paths of
// host either.
func collectStrings(m, host *pyjson.Object, keep bool) []strRef {
	var refs []strRef
	// prot is the protection of v's path under host; nil outside it.
	var walk func(v pyjson.Value, prot *protNode, obj *pyjson.Object, key string, arr []pyjson.Value, idx int)
	walk = func(v pyjson.Value, prot *protNode, obj *pyjson.Object, key string, arr []pyjson.Value, idx int) {
		if keep && prot != nil && prot.whole {
			return
		}
		switch t := v.(type) {
		case string:
			refs = append(refs, strRef{obj: obj, key: key, arr: arr, idx: idx, s: t, enc: encodedLen(t)})
		case *pyjson.Object:
			if t == nil {
				return
			}
			if t == host {
				prot = protected
			}
			for _, k := range t.Keys() {
				if t == m && k == "integration" || t == host && isMarker(k) {
					continue
				}
				e, _ := t.Get(k)
				walk(e, prot.kid(k), t, k, nil, 0)
			}
		case []pyjson.Value:
			for i, e := range t {
				walk(e, prot, nil, "", t, i)
			}
		}
	}
	walk(m, nil, nil, "", nil, 0)
	return refs
}

// shrinkStrings cuts the longest strings to one common encoded length C,
// the largest for which the bytes saved cover excess (never below floor,
// in which case the saving may fall short).
func shrinkStrings(refs []strRef, excess, floor int) {
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
	if limit < floor {
		limit = floor
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
	if pyjson.IsSurrogateAt(s, i) {
		return 3, 6
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r > 0xFFFF {
		return n, 12
	}
	return n, 6
}

// dropMembers removes members, largest encoding first (later members
// first among equals), until the message fits: members of host, and
// inside the protected paths' ancestors (requestParameters for
// requestParameters.bucketName) their own unprotected members, so that a
// large nested member goes before the small fields the rules need. The
// removed members are listed by path (capped) and counted. It returns
// the new encoding.
func dropMembers(m, host *pyjson.Object, data []byte) []byte {
	type cand struct {
		obj  *pyjson.Object
		key  string
		name string
		cost int
	}
	var cands []cand
	var walk func(o *pyjson.Object, prot *protNode, prefix string)
	var descend func(v pyjson.Value, prot *protNode, name string)
	walk = func(o *pyjson.Object, prot *protNode, prefix string) {
		for _, k := range o.Keys() {
			if o == host && isMarker(k) || o == m && k == "integration" {
				continue
			}
			v, _ := o.Get(k)
			switch p := prot.kid(k); {
			case p == nil:
				cost := encodedLen(k) + len(": ") + len(pyjson.AppendValue(nil, v)) + len(", ")
				cands = append(cands, cand{o, k, prefix + k, cost})
			case !p.whole:
				descend(v, p, prefix+k)
			}
		}
	}
	descend = func(v pyjson.Value, prot *protNode, name string) {
		switch t := v.(type) {
		case *pyjson.Object:
			if t != nil {
				walk(t, prot, name+".")
			}
		case []pyjson.Value:
			for i, e := range t {
				descend(e, prot, name+"["+strconv.Itoa(i)+"]")
			}
		}
	}
	walk(host, protected, "")
	// Stable on the reversed walk order: later members first among equals.
	slices.Reverse(cands)
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].cost > cands[b].cost })

	type member struct {
		obj *pyjson.Object
		key string
	}
	dropped := map[member]bool{}
	objs := map[*pyjson.Object]bool{}
	var names []pyjson.Value
	namesLen := 0
	size := len(data)
	overhead := len(`, "`+KeyDroppedFields+`": []`) + len(`, "`+KeyDroppedCount+`": `) + 7
	for _, c := range cands {
		if size+overhead+namesLen <= MaxEvent {
			break
		}
		dropped[member{c.obj, c.key}] = true
		objs[c.obj] = true
		size -= c.cost
		name := c.name
		if encodedLen(name) > droppedNameMax {
			name = truncateTo(name, droppedNameMax)
		}
		if l := encodedLen(name) + len(", "); namesLen+l <= droppedNamesMax {
			names = append(names, name)
			namesLen += l
		}
	}
	if len(dropped) == 0 {
		return data
	}
	for o := range objs {
		o.DeleteFunc(func(k string, _ pyjson.Value) bool { return dropped[member{o, k}] })
	}
	if names == nil {
		names = []pyjson.Value{}
	}
	host.Set(KeyDroppedFields, names)
	host.Set(KeyDroppedCount, pyjson.Number(strconv.Itoa(len(dropped))))
	return pyjson.Marshal(m)
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
