package subscriber

import (
	"errors"
	"strings"
	"testing"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// Expected values from Python's urllib.parse.unquote_plus.
func TestUnquotePlus(t *testing.T) {
	for in, want := range map[string]string{
		"a+b%20c":     "a b c",
		"%E2%82%AC+x": "€ x",
		"100%":        "100%",
		"%zz%4":       "%zz%4",
		"%ff":         "\uFFFD",
		"a%2Bb":       "a+b",
	} {
		if got := unquotePlus(in); got != want {
			t.Errorf("unquotePlus(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRoutes(t *testing.T) {
	parse := func(s string) pyjson.Value {
		v, err := pyjson.Unmarshal([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	rts, ok := routes(parse(notification("b", "dir/x+y%3D1.gz")))
	if !ok || len(rts) != 1 || rts[0] != (route{"b", "dir/x y=1.gz"}) {
		t.Errorf("got %v %v", rts, ok)
	}
	for _, body := range []string{`{}`, `{"Records": []}`, `{"Records": [{"s3": {"bucket": {"name": "b"}}}]}`, `[1]`, `{"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": 5}}}]}`} {
		if rts, ok := routes(parse(body)); ok {
			t.Errorf("%s: got %v, want not a notification", body, rts)
		}
	}
}

func TestSecurityHubEventsMalformed(t *testing.T) {
	for _, c := range []struct {
		text string
		skip bool   // the reference's KeyError: message left, run goes on
		want string // else a parse error containing this
	}{
		{`{"detail": {}}`, true, ""},
		{`{"detail-type": "x"}`, true, ""},
		{`not json`, false, "does not contain JSON objects"},
		{`{"detail-type": "x", "detail": {"findings": []}}`, false, "findings"},
		{`[1]`, false, "list"},
	} {
		_, err := securityHubText(c.text)
		switch {
		case c.skip:
			if !errors.Is(err, errSkipMessage) {
				t.Errorf("%s: got %v, want the message skipped", c.text, err)
			}
		case err == nil || !strings.Contains(err.Error(), c.want):
			t.Errorf("%s: got %v, want an error containing %q", c.text, err, c.want)
		}
	}
}

func TestPruneNoneAndEnvelope(t *testing.T) {
	v, _ := pyjson.Unmarshal([]byte(`{"a": null, "b": {"c": null, "d": [null, {"e": null}]}, "log_info": "x"}`))
	ev := v.(*pyjson.Object)
	pruneNone(ev)
	got := string(pyjson.Marshal(message("bk", "k", ev)))
	// A "log_info" member of the event replaces the envelope's, in place
	// (dict.update); nulls inside arrays stay.
	want := `{"integration": "aws", "aws": {"log_info": "x", "b": {"d": [null, {"e": null}]}}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
