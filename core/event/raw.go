package event

import (
	"bytes"
	"hash/maphash"
	"math"
	"slices"
	"sync"

	"github.com/wazuh/aws-s3-go/core/kind"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// The fast path. Building a pyjson tree for every record, then the
// envelope, then encoding it, costs about a hundred allocations per
// CloudTrail record; most of the bytes Python's json.dumps prints are the
// record's own bytes. A RawEncoder therefore writes the message straight
// from the record's text: it cuts the record into a flat, reused list of
// tokens, applies the reformatting rules to the tokens, and copies the
// input wherever json.dumps prints the same bytes (strings of printable
// ASCII without a backslash, integers other than -0). Whatever it cannot
// prove identical to Messages followed by AppendEncode, it declines, and
// the caller takes the tree path for that record.

// rawRule is what the fast path knows of one reformatting.
type rawRule struct {
	// cloudTrail adds AWSCloudTrailBucket.reformat_msg to the base rules:
	// the dynamic fields and requestParameters.disableApiTermination.
	cloudTrail bool
}

// rawRules are the reformattings the fast path reproduces. The JSON types
// of the base reformatting need only an entry here and a parser that
// offers their records' text.
var rawRules = map[kind.Reformat]rawRule{
	kind.ReformatCloudTrail: {cloudTrail: true},
}

// The tokens are pyjson's, so that the decoder that checks a record can
// make them on the way (pyjson.Decoder.DecodeStreamingTokens).
type (
	token   = pyjson.Token
	tokKind = pyjson.TokenKind
)

const (
	tNull   = pyjson.TokenNull
	tTrue   = pyjson.TokenTrue
	tFalse  = pyjson.TokenFalse
	tInt    = pyjson.TokenInt
	tNumber = pyjson.TokenNumber
	tPlain  = pyjson.TokenPlain
	tString = pyjson.TokenString
	tObject = pyjson.TokenObject
	tArray  = pyjson.TokenArray
)

// A RawEncoder writes the messages of one object's records from their
// JSON text. It is not safe for concurrent use.
type RawEncoder struct {
	b      *Builder
	rule   rawRule
	prefix []byte // `{"integration": "aws", "aws": {"log_info": {...}, `
	suffix []byte // `"source": "...", "aws_account_id": "..."`

	rec    []byte
	toks   []token
	stack  []int32
	keys   [][]byte
	hashes []uint64
	seed   maphash.Seed
	out    []byte
	failed bool // a string did not decode
}

// NewRawEncoder returns an encoder for the records of the object key
// listed under account, or nil when the Builder's type has no fast path.
func (b *Builder) NewRawEncoder(key, account string) *RawEncoder {
	k, ok := kind.Lookup(b.Type)
	if !ok {
		return nil
	}
	rule, ok := rawRules[k.Reformat]
	if !ok || k.Source == "" {
		return nil
	}
	e, _ := rawEncoders.Get().(*RawEncoder)
	if e == nil {
		e = &RawEncoder{seed: maphash.MakeSeed()}
	}
	e.b, e.rule = b, rule
	e.prefix, e.suffix = e.prefix[:0], e.suffix[:0]
	e.prefix = append(e.prefix, `{"integration": "aws", "aws": {"log_info": `...)
	e.prefix = pyjson.AppendValue(e.prefix, b.logInfo(key))
	e.prefix = append(e.prefix, ", "...)
	// The parser adds "source" to each record, after its own members.
	e.suffix = append(e.suffix, `"source": `...)
	e.suffix = pyjson.AppendString(e.suffix, k.Source)
	if k.AWSLogsBucket {
		e.suffix = append(e.suffix, `, "aws_account_id": `...)
		e.suffix = pyjson.AppendString(e.suffix, account)
	}
	return e
}

// rawEncoders keeps released encoders: their token list, stack and
// output buffer have grown to fit a record, and a run reading thousands
// of small objects would otherwise grow them again for each.
var rawEncoders sync.Pool

// Largest buffers a released encoder keeps (about 200 KiB in all): a
// typical CloudTrail record needs a few hundred tokens and a few KiB of
// output; one that needed far more was exceptional and is left to the
// collector, so that a hundred idle encoders cost little.
const (
	keepTokens = 4 << 10
	keepBytes  = 64 << 10
)

// Release ends the use of e: it may serve another object, so neither e
// nor a slice it returned may be used afterwards. Calling it is optional.
func (e *RawEncoder) Release() {
	if e.b == nil {
		return // released already
	}
	e.b, e.rec = nil, nil
	if cap(e.toks) > keepTokens || cap(e.stack) > keepTokens || cap(e.keys) > keepTokens || cap(e.hashes) > keepTokens ||
		cap(e.out) > keepBytes || cap(e.prefix)+cap(e.suffix) > keepBytes {
		return
	}
	clear(e.keys[:cap(e.keys)]) // they point into records
	rawEncoders.Put(e)
}

// Encode returns the message Messages and AppendEncode make of the record
// whose JSON text is rec (one value, as pyjson.Decoder.DecodeStreamingRaw
// hands it out; the parser has not added "source" yet), or ok false when
// the record must take the tree path: duplicate keys, members the envelope
// or the reformatting would replace, values the reformatting warns about
// or fails on, a message larger than MaxEvent. The slice is valid until
// the next call. Encode logs nothing: after a success the caller logs
// what precedes Messages, then calls LogReformat.
func (e *RawEncoder) Encode(rec []byte) (data []byte, ok bool) {
	if len(rec) > math.MaxInt32 || !e.tokenize(rec) {
		return nil, false
	}
	return e.encode()
}

// EncodeTokens is Encode for a record whose tokens pyjson made while it
// checked it (pyjson.Decoder.DecodeStreamingTokens), which spares a
// second scan of its text. The encoder keeps toks as the space Tokens
// returns next.
func (e *RawEncoder) EncodeTokens(rec []byte, toks []pyjson.Token) (data []byte, ok bool) {
	if len(rec) > math.MaxInt32 || len(toks) == 0 {
		return nil, false
	}
	e.rec, e.toks, e.failed = rec, toks, false
	if !e.uniqueObjects() {
		return nil, false
	}
	return e.encode()
}

// Tokens returns space for the tokens of the next records, to pass to
// pyjson.Decoder.DecodeStreamingTokens: what grew for one object serves
// the next.
func (e *RawEncoder) Tokens() []pyjson.Token { return e.toks[:0] }

// encode writes the message of the record in e.rec and e.toks.
func (e *RawEncoder) encode() (data []byte, ok bool) {
	if e.toks[0].Kind != tObject {
		return nil, false
	}
	rec := e.rec
	e.out = append(e.out[:0], e.prefix...)
	var ip []byte
	for k := int32(1); k < e.toks[0].Next; {
		v := k + 1
		next := e.skip(v)
		key := e.key(k)
		t := e.toks[v]
		switch string(key) {
		case "log_info", "aws_account_id", "source", "source_ip_address":
			return nil, false // replaced or added by the envelope
		}
		if t.Kind == tNull {
			k = next
			continue // the envelope skips null members
		}
		e.out = append(e.appendKey(e.out, k), ": "...)
		switch string(key) {
		case "sourceIPAddress":
			if t.Kind != tPlain {
				// Not a string (TypeError), or one the pattern would
				// have to read as Unicode.
				return nil, false
			}
			s := rec[t.Start:t.End]
			if ipPrefixASCII(s[1 : len(s)-1]) {
				ip = s
			}
			e.out = append(e.out, s...)
		case "tags":
			switch {
			case t.Kind == tObject:
				e.member(v)
			case t.Kind == tArray && t.N == 1 && e.toks[v+1].Kind == tObject:
				e.value(v + 1)
			default:
				e.out = append(e.out, `{"value": `...)
				if t.Kind == tArray && t.N == 1 {
					v++
				}
				e.value(v)
				e.out = append(e.out, '}')
			}
		case "additionalEventData", "responseElements", "requestParameters":
			if !e.rule.cloudTrail {
				e.member(v)
				break
			}
			params := string(key) == "requestParameters"
			switch {
			case t.Kind == tObject:
				if params {
					if !e.params(v) {
						return nil, false
					}
				} else {
					e.object(v)
				}
			case t.Kind == tArray && t.N == 1 && e.toks[v+1].Kind == tObject:
				if params && e.has(v+1, "disableApiTermination") {
					return nil, false
				}
				e.value(v + 1)
			default:
				return nil, false // {"string": str(v)}
			}
		default:
			e.member(v)
		}
		e.out = append(e.out, ", "...)
		if len(e.out) > MaxEvent {
			return nil, false // to trim; and e.out stays about one member past MaxEvent
		}
		k = next
	}
	e.out = append(e.out, e.suffix...)
	if ip != nil {
		e.out = append(e.out, `, "source_ip_address": `...)
		e.out = append(e.out, ip...)
	}
	e.out = append(e.out, "}}"...)
	if len(e.out) > MaxEvent || e.failed {
		return nil, false
	}
	return e.out, true
}

// LogReformat logs what Messages logs for a record Encode encoded.
func (e *RawEncoder) LogReformat() {
	e.b.log().Debug(3, reformatLine)
}

// skip returns the token after the value at i.
func (e *RawEncoder) skip(i int32) int32 {
	if k := e.toks[i].Kind; k == tObject || k == tArray {
		return e.toks[i].Next
	}
	return i + 1
}

// key returns the decoded key at i; escaped keys are rare and decoded
// each time.
func (e *RawEncoder) key(i int32) []byte {
	t := e.toks[i]
	if t.Kind == tPlain {
		return e.rec[t.Start+1 : t.End-1]
	}
	if t.Kind != tString {
		e.failed = true
		return nil
	}
	s, err := pyjson.UnquoteString(e.rec[t.Start:t.End])
	if err != nil {
		e.failed = true
	}
	return []byte(s)
}

func (e *RawEncoder) appendKey(dst []byte, i int32) []byte {
	t := e.toks[i]
	if t.Kind == tPlain {
		return append(dst, e.rec[t.Start:t.End]...)
	}
	return pyjson.AppendString(dst, string(e.key(i)))
}

// has reports whether the object at i has the member name.
func (e *RawEncoder) has(i int32, name string) bool {
	for k := i + 1; k < e.toks[i].Next; k = e.skip(k + 1) {
		if string(e.key(k)) == name {
			return true
		}
	}
	return false
}

// member writes a member value of an object reached through objects
// only: flatten replaces a one-element array by its element, which it
// does not visit further; objects are pruned and flattened.
func (e *RawEncoder) member(v int32) {
	switch t := e.toks[v]; {
	case t.Kind == tArray && t.N == 1:
		e.value(v + 1)
	case t.Kind == tObject:
		e.object(v)
	default:
		e.value(v)
	}
}

// object writes the object at i without its null members (pruneNone) and
// with its members flattened.
func (e *RawEncoder) object(i int32) {
	e.out = append(e.out, '{')
	first := true
	for k := i + 1; k < e.toks[i].Next; {
		v := k + 1
		next := e.skip(v)
		if e.toks[v].Kind != tNull {
			if !first {
				e.out = append(e.out, ", "...)
			}
			first = false
			e.out = append(e.appendKey(e.out, k), ": "...)
			e.member(v)
		}
		k = next
	}
	e.out = append(e.out, '}')
}

// params writes requestParameters, an object, with the CloudTrail rule for
// disableApiTermination: a bool becomes {"value": b}. It reports false for
// the values the script warns about.
func (e *RawEncoder) params(i int32) bool {
	e.out = append(e.out, '{')
	first := true
	for k := i + 1; k < e.toks[i].Next; {
		v := k + 1
		next := e.skip(v)
		t := e.toks[v]
		if t.Kind != tNull {
			if !first {
				e.out = append(e.out, ", "...)
			}
			first = false
			e.out = append(e.appendKey(e.out, k), ": "...)
			if string(e.key(k)) != "disableApiTermination" {
				e.member(v)
			} else {
				flat := t.Kind == tArray && t.N == 1
				if flat {
					v++ // flattened first, and not visited further
					t = e.toks[v]
				}
				switch {
				case t.Kind == tTrue || t.Kind == tFalse:
					e.out = append(e.out, `{"value": `...)
					e.value(v)
					e.out = append(e.out, '}')
				case t.Kind == tObject && flat:
					e.value(v)
				case t.Kind == tObject:
					e.object(v)
				default:
					return false
				}
			}
		}
		k = next
	}
	e.out = append(e.out, '}')
	return true
}

// value writes the value at i as json.dumps does.
func (e *RawEncoder) value(i int32) {
	t := e.toks[i]
	switch t.Kind {
	case tNull:
		e.out = append(e.out, "null"...)
	case tTrue:
		e.out = append(e.out, "true"...)
	case tFalse:
		e.out = append(e.out, "false"...)
	case tInt, tPlain:
		e.out = append(e.out, e.rec[t.Start:t.End]...)
	case tNumber:
		e.out = pyjson.AppendValue(e.out, pyjson.Number(e.rec[t.Start:t.End]))
	case tString:
		s, err := pyjson.UnquoteString(e.rec[t.Start:t.End])
		if err != nil {
			e.failed = true
		}
		e.out = pyjson.AppendString(e.out, s)
	case tObject:
		e.out = append(e.out, '{')
		for k := i + 1; k < t.Next; {
			if k > i+1 {
				e.out = append(e.out, ", "...)
			}
			e.out = append(e.appendKey(e.out, k), ": "...)
			e.value(k + 1)
			k = e.skip(k + 1)
		}
		e.out = append(e.out, '}')
	case tArray:
		e.out = append(e.out, '[')
		for k := i + 1; k < t.Next; k = e.skip(k) {
			if k > i+1 {
				e.out = append(e.out, ", "...)
			}
			e.value(k)
		}
		e.out = append(e.out, ']')
	}
}

// tokenize cuts rec, a JSON value pyjson has checked, into e.toks. It
// reports false for input it does not understand and for objects with a
// repeated key (Python keeps the first position and the last value).
func (e *RawEncoder) tokenize(rec []byte) bool {
	e.rec = rec
	e.failed = false
	var ok bool
	e.toks, e.stack, ok = scan(rec, e.toks[:0], e.stack[:0])
	return ok && e.uniqueObjects()
}

// uniqueObjects reports whether no object of the record has a repeated
// key, and every key decodes.
func (e *RawEncoder) uniqueObjects() bool {
	for i, t := range e.toks {
		if t.Kind == tObject && t.N > 2 && !e.uniqueKeys(int32(i)) {
			return false
		}
	}
	return !e.failed
}

// scan appends the tokens of rec to toks; stack is scratch space.
func scan(rec []byte, toks []token, stack []int32) ([]token, []int32, bool) {
	for i := 0; i < len(rec); {
		c := rec[i]
		start := i
		var kind tokKind
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':':
			// Structure is in the brackets: the input is valid JSON.
			i++
			continue
		case c == '}' || c == ']':
			if len(stack) == 0 {
				return toks, stack, false
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if (c == '}') != (toks[o].Kind == tObject) || c == '}' && toks[o].N%2 != 0 {
				return toks, stack, false
			}
			toks[o].End = int32(i + 1)
			toks[o].Next = int32(len(toks))
			i++
			continue
		case c == '{' || c == '[':
			kind = tObject
			if c == '[' {
				kind = tArray
			}
			i++
		case c == '"':
			var ok bool
			kind, i, ok = scanString(rec, i)
			if !ok {
				return toks, stack, false
			}
		case c == 'n' && bytes.HasPrefix(rec[i:], []byte("null")):
			kind, i = tNull, i+4
		case c == 't' && bytes.HasPrefix(rec[i:], []byte("true")):
			kind, i = tTrue, i+4
		case c == 'f' && bytes.HasPrefix(rec[i:], []byte("false")):
			kind, i = tFalse, i+5
		case c == 'N' || c == 'I' || c == '-' && i+1 < len(rec) && rec[i+1] == 'I':
			for i < len(rec) && (rec[i] >= 'a' && rec[i] <= 'z' || rec[i] >= 'A' && rec[i] <= 'Z' || rec[i] == '-') {
				i++
			}
			kind = tNumber
		case c == '-' || c >= '0' && c <= '9':
			kind = tInt
			for ; i < len(rec); i++ {
				c := rec[i]
				if c == '.' || c == 'e' || c == 'E' || c == '+' {
					kind = tNumber
				} else if c != '-' && (c < '0' || c > '9') {
					break
				}
			}
			if i-start == 2 && rec[start] == '-' && rec[start+1] == '0' {
				kind = tNumber // -0 prints as 0
			}
		default:
			return toks, stack, false
		}
		if n := len(stack); n > 0 {
			p := &toks[stack[n-1]]
			if p.Kind == tObject && p.N%2 == 0 && kind != tPlain && kind != tString {
				return toks, stack, false // a key that is not a string
			}
			p.N++
		} else if len(toks) > 0 {
			return toks, stack, false // a second top-level value
		}
		toks = append(toks, token{Kind: kind, Start: int32(start), End: int32(i)})
		if kind == tObject || kind == tArray {
			stack = append(stack, int32(len(toks)-1))
		}
	}
	return toks, stack, len(stack) == 0 && len(toks) > 0
}

// scanString returns the kind and the end of the string whose opening
// quote is at rec[i].
func scanString(rec []byte, i int) (kind tokKind, end int, ok bool) {
	i++
	q := bytes.IndexByte(rec[i:], '"')
	if q < 0 {
		return 0, 0, false
	}
	s := rec[i : i+q]
	if bytes.IndexByte(s, '\\') < 0 {
		for _, c := range s {
			if c < 0x20 || c >= 0x7f {
				return tString, i + q + 1, true
			}
		}
		return tPlain, i + q + 1, true
	}
	// An escape: the first quote may be escaped.
	for ; i < len(rec); i++ {
		switch rec[i] {
		case '"':
			return tString, i + 1, true
		case '\\':
			i++
		}
	}
	return 0, 0, false
}

// uniqueKeys reports whether the object at o has no repeated key.
func (e *RawEncoder) uniqueKeys(o int32) bool {
	e.keys = e.keys[:0]
	for k := o + 1; k < e.toks[o].Next; k = e.skip(k + 1) {
		if k+1 >= e.toks[o].Next {
			return false // a key without a value
		}
		e.keys = append(e.keys, e.key(k))
	}
	if len(e.keys) <= 16 {
		for i, a := range e.keys {
			for _, b := range e.keys[:i] {
				if bytes.Equal(a, b) {
					return false
				}
			}
		}
		return true
	}
	// A collision of the hashes only sends the record down the tree path.
	e.hashes = e.hashes[:0]
	for _, k := range e.keys {
		e.hashes = append(e.hashes, maphash.Bytes(e.seed, k))
	}
	slices.Sort(e.hashes)
	for i := 1; i < len(e.hashes); i++ {
		if e.hashes[i] == e.hashes[i-1] {
			return false
		}
	}
	return true
}
