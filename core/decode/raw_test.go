package decode

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

type parsed struct {
	events []string
	err    string
}

// compareRaw parses doc as typ without and with a Raw hook that handles
// every other record the way the tree path would: the events and the error
// must be the same.
func compareRaw(t *testing.T, typ, doc string, lim Limits) {
	t.Helper()
	parse := func(raw func([]byte) (bool, error), p *parsed) {
		opt := Options{Limits: lim, Raw: raw}
		err := Events(typ, "a.json", strings.NewReader(doc), opt, func(o *pyjson.Object) error {
			p.events = append(p.events, string(pyjson.Marshal(o)))
			return nil
		})
		if err != nil {
			p.err = err.Error()
		}
	}
	var want parsed
	parse(nil, &want)
	for _, tokens := range []bool{false, true} {
		compareHook(t, typ, doc, lim, tokens, want)
	}
}

// compareHook is compareRaw's run with a hook: Raw, or RawTokens whose
// tokens must span each record.
func compareHook(t *testing.T, typ, doc string, lim Limits, tokens bool, want parsed) {
	t.Helper()
	parse := func(raw func([]byte) (bool, error), p *parsed) {
		opt := Options{Limits: lim, Raw: raw}
		if tokens {
			opt.Raw = nil
			opt.RawTokens = func(rec []byte, toks []pyjson.Token) (bool, error) {
				top := toks[0]
				if top.Start != 0 || int(top.End) != len(rec) || (top.Kind == pyjson.TokenObject || top.Kind == pyjson.TokenArray) && int(top.Next) != len(toks) {
					t.Fatalf("tokens %v do not span %q", toks, rec)
				}
				return raw(rec)
			}
		}
		err := Events(typ, "a.json", strings.NewReader(doc), opt, func(o *pyjson.Object) error {
			p.events = append(p.events, string(pyjson.Marshal(o)))
			return nil
		})
		if err != nil {
			p.err = err.Error()
		}
	}
	var got parsed
	n := 0
	parse(func(rec []byte) (bool, error) {
		n++
		if n%2 == 0 {
			return false, nil
		}
		v, err := pyjson.Unmarshal(rec)
		if err != nil {
			t.Fatalf("record %q does not decode: %v", rec, err)
		}
		o, ok := v.(*pyjson.Object)
		if !ok {
			return false, nil
		}
		o.Set("source", typ)
		got.events = append(got.events, string(pyjson.Marshal(o)))
		return true, nil
	}, &got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s %.60q limits %v tokens %v:\n got %q\nwant %q", typ, doc, lim, tokens, got, want)
	}
}

// TestEventsRaw checks that a Raw hook sees every record's text, that the
// records it declines are decoded as without it, and that the errors and
// their positions do not change.
func TestEventsRaw(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seeds", "cloudtrail"))
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{
		string(seed),
		`{"Records":[{"a":1},{"b":[1,{"c":null}]},{}]}`,
		`{"Records":[{"a":1},2]}`,
		`{"Records":[{"a":1},["ab"],""]}`,
		`{"Records":[{"a":1},{"b":}]}`,
		"{\"Records\":[{\"a\":1},\n {\"b\":\"" + strings.Repeat("x", 100) + "\"}]}",
		`{"Records":[{"a":[[[[[1]]]]]}]}`,
		`{"Records":{"x":1}}`,
		`{"Records":[{"a":1}]`,
		`{"Other":1}`,
	}
	for _, typ := range []string{"cloudtrail", "config"} {
		for _, doc := range docs {
			compareRaw(t, typ, doc, Limits{})
			compareRaw(t, typ, doc, small)
		}
	}
	// The hook's error comes back unchanged.
	stop := errors.New("stop")
	err = Events("cloudtrail", "a.json", strings.NewReader(docs[1]), Options{Raw: func([]byte) (bool, error) { return false, stop }}, func(*pyjson.Object) error { return nil })
	if err != stop {
		t.Errorf("Raw's error came back as %v", err)
	}
}

// FuzzEventsRaw checks that a Raw hook changes neither the events nor the
// errors of CloudTrail documents.
func FuzzEventsRaw(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seeds", "cloudtrail"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed), false)
	f.Add(`{"Records":[{"a":1},{"b":[1,{"c":null}]},2,{}],"Records":[]}`, true)
	f.Add(`{"Records":[{"a":"\u00e9"},{"b":}]}`, false)
	f.Fuzz(func(t *testing.T, doc string, tight bool) {
		lim := Limits{}
		if tight {
			lim = small
		}
		compareRaw(t, "cloudtrail", doc, lim)
	})
}
