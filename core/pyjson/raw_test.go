package pyjson

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// streamBoth decodes data with DecodeStreaming and DecodeStreamingRaw
// under lim and returns what each saw: the top value's encoding, the
// elements' encodings (raw elements decoded again with Unmarshal) and the
// error.
type streamed struct {
	top   string
	elems []string
	err   error
}

func streamTree(r io.Reader, lim Limits) streamed {
	var s streamed
	d := NewDecoder(r)
	d.Limits = lim
	top, err := d.DecodeStreaming("Records", func(v Value) error {
		s.elems = append(s.elems, string(Marshal(v)))
		return nil
	})
	s.top, s.err = string(Marshal(top)), err
	return s
}

func streamRaw(t *testing.T, r io.Reader, lim Limits) streamed {
	var s streamed
	d := NewDecoder(r)
	d.Limits = lim
	top, err := d.DecodeStreamingRaw("Records", func(raw []byte) error {
		if len(raw) == 0 || isSpace(raw[0]) || isSpace(raw[len(raw)-1]) {
			t.Fatalf("raw element %q is not trimmed to its value", raw)
		}
		v, err := Unmarshal(raw)
		if err != nil {
			t.Fatalf("raw element %q does not decode: %v", raw, err)
		}
		s.elems = append(s.elems, string(Marshal(v)))
		return nil
	})
	s.top, s.err = string(Marshal(top)), err
	return s
}

// streamTokens is streamRaw with DecodeStreamingTokens: each element is
// rebuilt from its tokens alone (scalars decoded from their bytes), so a
// token with wrong bounds, kind, count or next index shows.
func streamTokens(t *testing.T, r io.Reader, lim Limits) streamed {
	var s streamed
	d := NewDecoder(r)
	d.Limits = lim
	top, err := d.DecodeStreamingTokens("Records", make([]Token, 0, 1), func(raw []byte, toks []Token) error {
		v, next := fromTokens(t, raw, toks, 0)
		if next != int32(len(toks)) || toks[0].Start != 0 || toks[0].End != int32(len(raw)) {
			t.Fatalf("tokens %v do not cover %q", toks, raw)
		}
		s.elems = append(s.elems, string(Marshal(v)))
		return nil
	})
	s.top, s.err = string(Marshal(top)), err
	return s
}

// fromTokens builds the value of token i of raw and returns the index
// after it, checking each token's kind against its bytes.
func fromTokens(t *testing.T, raw []byte, toks []Token, i int32) (Value, int32) {
	tk := toks[i]
	b := raw[tk.Start:tk.End]
	switch tk.Kind {
	case TokenObject, TokenArray:
		if b[0] != "{["[tk.Kind-TokenObject] || b[len(b)-1] != "}]"[tk.Kind-TokenObject] {
			t.Fatalf("container token %v is %q", tk, b)
		}
		var arr []Value
		obj := NewObject(0)
		k := i + 1
		var key Value
		for n := int32(0); n < tk.N; n++ {
			var v Value
			at := k
			v, k = fromTokens(t, raw, toks, k)
			switch {
			case tk.Kind == TokenArray:
				arr = append(arr, v)
			case n%2 == 1:
				obj.Set(key.(string), v)
			case toks[at].Kind != TokenPlain && toks[at].Kind != TokenString:
				t.Fatalf("key token %v in %q", toks[at], raw)
			default:
				key = v
			}
		}
		if k != tk.Next || tk.N%2 != 0 && tk.Kind == TokenObject {
			t.Fatalf("token %v: children end at %d in %q", tk, k, raw)
		}
		if tk.Kind == TokenArray {
			if arr == nil {
				arr = []Value{}
			}
			return arr, k
		}
		return obj, k
	}
	v, err := Unmarshal(b)
	if err != nil {
		t.Fatalf("token %v: %q does not decode: %v", tk, b, err)
	}
	want := map[TokenKind]bool{TokenNull: v == nil, TokenTrue: v == true, TokenFalse: v == false}
	switch x := v.(type) {
	case Number:
		isInt := !strings.ContainsAny(string(x), ".eEIN") && x != "-0"
		want[TokenInt], want[TokenNumber] = isInt, !isInt
	case string:
		plain := true
		for _, c := range b[1 : len(b)-1] {
			plain = plain && c >= 0x20 && c < 0x7f && c != '\\'
		}
		want[TokenPlain], want[TokenString] = plain, !plain
	}
	if !want[tk.Kind] {
		t.Fatalf("token %v: kind %d for %q", tk, tk.Kind, b)
	}
	return v, i + 1
}

func sameStreams(t *testing.T, data []byte, lim Limits) {
	t.Helper()
	for _, oneByte := range []bool{false, true} {
		open := func() io.Reader {
			var r io.Reader = bytes.NewReader(data)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			return r
		}
		want := streamTree(open(), lim)
		for _, mode := range []string{"raw", "tokens"} {
			var got streamed
			if mode == "raw" {
				got = streamRaw(t, open(), lim)
			} else {
				got = streamTokens(t, open(), lim)
			}
			if (got.err == nil) != (want.err == nil) || got.err != nil && (got.err.Error() != want.err.Error() || reflect.TypeOf(got.err) != reflect.TypeOf(want.err)) {
				t.Fatalf("oneByte=%v: %s err = %v, tree err = %v", oneByte, mode, got.err, want.err)
			}
			if got.err != nil {
				continue
			}
			if got.top != want.top || !reflect.DeepEqual(got.elems, want.elems) {
				t.Fatalf("oneByte=%v: %s = %s %q, tree = %s %q", oneByte, mode, got.top, got.elems, want.top, want.elems)
			}
		}
	}
}

func TestDecodeStreamingRaw(t *testing.T) {
	big := `{"Records":[` + strings.Repeat(`{"a":"`+strings.Repeat("x", 1000)+`"},`, 200) + `1]}`
	docs := append([]string{big, `{"Records":[ {"a" : [1, 2] } , "x" ,null]}`, `{"Records":[{"a":1},{"b":}]}`, `{"Records":[{"a":"\u00e9\ud800"}, 1e5, -0]}`}, jsonSeeds...)
	for _, doc := range docs {
		sameStreams(t, []byte(doc), Limits{})
		sameStreams(t, []byte(doc), Limits{MaxValueBytes: 40, MaxValues: 8, MaxDepth: 4})
	}
	// The window keeps a pinned element, not the whole document.
	d := NewDecoder(iotest.OneByteReader(strings.NewReader(big)))
	if _, err := d.DecodeStreamingRaw("Records", func([]byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if cap(d.buf) > 64<<10 {
		t.Errorf("window grew to %d bytes for 1 KB elements", cap(d.buf))
	}
}

// FuzzDecodeStreamingRaw checks that the raw mode reports exactly the
// errors of the tree mode, and hands out elements that decode to the
// values the tree mode builds, with and without tight limits.
func FuzzDecodeStreamingRaw(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, small bool) {
		lim := Limits{}
		if small {
			lim = Limits{MaxValueBytes: 40, MaxValues: 8, MaxDepth: 4}
		}
		sameStreams(t, data, lim)
	})
}

func TestUnquoteString(t *testing.T) {
	for _, lit := range []string{`""`, `"abc"`, `"\u00e9\ud83d\ude00\/\b\f\n\r\t"`, `"\ud800x"`, `"\udc00\ud800"`, "\"\x7f\"", `"é"`} {
		got, err := UnquoteString([]byte(lit))
		if err != nil {
			t.Fatalf("%s: %v", lit, err)
		}
		want, _ := Unmarshal([]byte(lit))
		if got != want {
			t.Errorf("UnquoteString(%s) = %q, want %q", lit, got, want)
		}
	}
	for _, lit := range []string{``, `"`, `"a" `, `x`, `"\x"`} {
		if s, err := UnquoteString([]byte(lit)); err == nil {
			t.Errorf("UnquoteString(%s) = %q, want an error", lit, s)
		}
	}
}

func benchDoc() []byte {
	rec := `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"2024-11-19T10:05:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.10","userAgent":"aws-cli/2.15.30","requestParameters":{"bucketName":"demo","key":"file.txt"},"responseElements":null,"requestID":"REQ000001","eventID":"00000001-0000-4000-8000-000000000000","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::demo/file.txt"}],"bytes":[1,2,3]}`
	return []byte(`{"Records":[` + strings.Repeat(rec+",", 499) + rec + `]}`)
}

// BenchmarkDecodeStreamingRaw and BenchmarkDecodeStreaming compare
// checking the records of a CloudTrail document with building them.
func BenchmarkDecodeStreamingRaw(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewDecoder(bytes.NewReader(doc)).DecodeStreamingRaw("Records", func([]byte) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeStreamingTokens is BenchmarkDecodeStreamingRaw making
// the tokens too.
func BenchmarkDecodeStreamingTokens(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	var toks []Token
	for b.Loop() {
		if _, err := NewDecoder(bytes.NewReader(doc)).DecodeStreamingTokens("Records", toks, func(_ []byte, t []Token) error { toks = t; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeStreaming(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewDecoder(bytes.NewReader(doc)).DecodeStreaming("Records", func(Value) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRuneCount(t *testing.T) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghi", "abcdefgé", "é", "abcdefgh\xffxyz", "\xe2\x82", strings.Repeat("x", 17) + "€" + strings.Repeat("y", 9)} {
		if got, want := runeCount([]byte(s)), utf8.RuneCount([]byte(s)); got != want {
			t.Errorf("runeCount(%q) = %d, want %d", s, got, want)
		}
	}
}
