package pyjson

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// jsonSeeds are documents of the shapes the parsers meet: CloudTrail and
// Config envelopes, GuardDuty findings, Python's odd numbers and escapes.
var jsonSeeds = []string{
	`{"a":1,"b":[true,false,null],"c":"x"}`,
	`{"a":1,"b":2,"a":3}`,
	` [1.0, 1E5, 0.10, -0.0, 12345678901234567890123] `,
	`[NaN,Infinity,-Infinity,1e400,-1e-400,5e-324]`,
	`"\u00e9\ud83d\ude00\/\b\f\n\r\t"`,
	`"\ud800x" `,
	`"\udc00\ud800"`,
	"\"\x7f\"",
	"\ufeff{}",
	`{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"111122223333"},"eventTime":"2024-11-20T00:01:02Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","requestParameters":null,"resources":[{"ARN":"arn:aws:s3:::b"}]}]}`,
	`{"fileVersion":"1.0","configurationItems":[{"configurationItemCaptureTime":"2024-11-19T01:02:03.456Z","configuration":{"state":{"code":16,"name":"running"}},"tags":{}}]}`,
	`{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","severity":5.0,"service":{"action":{"actionType":"PORT_PROBE","portProbeAction":{"portProbeDetails":[{"localPortDetails":{"port":22}}]}},"count":3}}`,
	`{"Records":[{},{}],}`,
	`{"Records":[1,2],"Records":{"x":[]}}`,
	`{"a":1}{"b":2} {"c":3}`,
	`[[[[[[[[[[]]]]]]]]]]`,
	`{"k":"a\u0000b\u001f","n":-0,"e":1.5e+3}`,
}

// FuzzUnmarshal checks that Unmarshal never panics and that what it
// accepts encodes to text that decodes back to the same encoding
// (json.dumps of json.loads is a fixed point after one step), through both
// the byte and the streaming decoder.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Unmarshal(data)
		lv, lerr := Load(iotest.OneByteReader(bytes.NewReader(data)))
		if (err == nil) != (lerr == nil) {
			t.Fatalf("Unmarshal err = %v, Load err = %v", err, lerr)
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) && !errors.Is(err, ErrInvalidUTF8) {
				t.Fatalf("Unmarshal error %T %v: neither SyntaxError nor ErrInvalidUTF8", err, err)
			}
			if se != nil && lerr.Error() != err.Error() {
				t.Fatalf("Unmarshal err = %v, Load err = %v", err, lerr)
			}
			return
		}
		enc := Marshal(v)
		if lenc := Marshal(lv); !bytes.Equal(enc, lenc) {
			t.Fatalf("Unmarshal = %s, Load = %s", enc, lenc)
		}
		v2, err := Unmarshal(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if enc2 := Marshal(v2); !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip changed the encoding:\n%s\n%s", enc, enc2)
		}
		if enc3 := Marshal(CloneValue(v)); !bytes.Equal(enc, enc3) {
			t.Fatalf("CloneValue changed the encoding:\n%s\n%s", enc, enc3)
		}
	})
}

// FuzzDecoder drives RawDecode over concatenated values (the custom
// parser's loop) and DecodeStreaming("Records") (the CloudTrail parser),
// checking the streamed elements against a plain decode of the document.
func FuzzDecoder(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoderBytes(data)
		for i := 0; ; i++ {
			if _, err := d.RawDecode(); err != nil {
				break
			}
			if more, err := d.SkipSpace(); err != nil || !more {
				break
			}
			if i > len(data) {
				t.Fatalf("RawDecode made no progress at offset %d", d.InputOffset())
			}
		}

		whole, werr := Unmarshal(data)
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = bytes.NewReader(data)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			var elems []Value
			top, err := NewDecoder(r).DecodeStreaming("Records", func(v Value) error {
				elems = append(elems, v)
				return nil
			})
			if (err == nil) != (werr == nil) {
				t.Fatalf("DecodeStreaming err = %v, Unmarshal err = %v", err, werr)
			}
			if err != nil {
				var se *SyntaxError
				if errors.As(werr, &se) && err.Error() != werr.Error() {
					t.Fatalf("DecodeStreaming err = %v, Unmarshal err = %v", err, werr)
				}
				continue
			}
			obj, ok := whole.(*Object)
			if !ok {
				if got, want := Marshal(top), Marshal(whole); !bytes.Equal(got, want) || elems != nil {
					t.Fatalf("non-object top = %s (%d elements), want %s", got, len(elems), want)
				}
				continue
			}
			// A repeated key keeps its last value in Python, and an escaped
			// key is the same key: either makes the streamed elements and
			// the final member differ legitimately, so compare only plain
			// documents.
			if bytes.Count(data, []byte(`"Records"`)) > 1 || bytes.Contains(data, []byte(`\u`)) {
				continue
			}
			obj = obj.Clone()
			if rec, ok := obj.Get("Records"); ok {
				if arr, ok := rec.([]Value); ok {
					if got, want := Marshal(elems), Marshal(arr); !bytes.Equal(got, want) {
						t.Fatalf("streamed %s, want %s", got, want)
					}
					obj.Set("Records", []Value{})
				}
			}
			if got, want := Marshal(top), Marshal(obj); !bytes.Equal(got, want) {
				t.Fatalf("top = %s, want %s", got, want)
			}
		}
	})
}
