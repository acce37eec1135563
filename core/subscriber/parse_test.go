package subscriber

import (
	"strings"
	"testing"

	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// TestBucketEvents compares bucketEvents with the output of the reference's
// obtain_logs logic run by Python 3.11 (csv.Sniffer, csv.DictReader,
// json.JSONDecoder.raw_decode, str.splitlines) on the same inputs.
func TestBucketEvents(t *testing.T) {
	cases := []struct{ key, text, want string }{
		{"a.jsonl.gz", "{\"event\": \"data1\"}\n{\"event\": \"data2\", \"n\": null}\n",
			"[{\"event\": \"data1\"}, {\"event\": \"data2\", \"n\": null}]"},
		{"a.jsonl.gz", "{\"event\": 1}\n\n{\"event\": 2}\n",
			"[{\"full_log\": \"{\\\"event\\\": 1}\", \"source\": \"custom\"}, {\"full_log\": \"\", \"source\": \"custom\"}, {\"full_log\": \"{\\\"event\\\": 2}\", \"source\": \"custom\"}]"},
		{"f.json", "{\"detail\": {\"a\": 1, \"source\": \"x\"}, \"source\": \"aws.kms\"}  \n{\"b\": [1, null]}\n",
			"[{\"a\": 1, \"source\": \"custom\"}, {\"b\": [1, null], \"source\": \"custom\"}]"},
		{"f.json", " {\"a\": 1}",
			"[{\"full_log\": \" {\\\"a\\\": 1}\", \"source\": \"custom\"}]"},
		{"f.json", "[1, 2]\nline two 3\n",
			"[{\"full_log\": \"[1, 2]\", \"source\": \"custom\"}, {\"full_log\": \"line two 3\", \"source\": \"custom\"}]"},
		{"logs/sample.csv", "Name, Age, City\nJohn, 30, New York",
			"[{\"Name\": \"John\", \"Age\": \"30\", \"City\": \"New York\", \"source\": \"custom\"}]"},
		{"x.csv", "a;b;c\n1;2;3\n4;5\n6;7;8;9\n\n10;11;12\n",
			"[{\"a\": \"1\", \"b\": \"2\", \"c\": \"3\", \"source\": \"custom\"}, {\"a\": \"4\", \"b\": \"5\", \"source\": \"custom\"}, {\"a\": \"6\", \"b\": \"7\", \"c\": \"8\", \"null\": [\"9\"], \"source\": \"custom\"}, {\"a\": \"10\", \"b\": \"11\", \"c\": \"12\", \"source\": \"custom\"}]"},
		{"x.csv", "\"name\",\"city, state\"\n\"Ann\",\"Paris, FR\"\nBob,\"He said \"\"hi\"\"\"\n",
			"[{\"name\": \"Ann\", \"city, state\": \"Paris, FR\", \"source\": \"custom\"}, {\"name\": \"Bob\", \"city, state\": \"He said \\\"hi\\\"\\\"\\\"\", \"source\": \"custom\"}]"},
		{"x.csv", "name|value\nk|v\n",
			"[{\"nam\": \"k|v\", \"source\": \"custom\"}]"},
		{"x.csv", "abc\nxyz\nabcabc\n",
			"[{\"ab\": \"xyz\", \"source\": \"custom\"}, {\"ab\": \"ab\", \"\": \"ab\", \"null\": [\"\"], \"source\": \"custom\"}]"},
		{"x.txt", "2024-01-01 first\n\nthird\u2028fourth\ttab\n",
			"[{\"full_log\": \"2024-01-01 first\", \"source\": \"custom\"}, {\"full_log\": \"\", \"source\": \"custom\"}, {\"full_log\": \"third\", \"source\": \"custom\"}, {\"full_log\": \"fourth\\ttab\", \"source\": \"custom\"}]"},
		{"x.txt", "name age\nann 3  x\n",
			"[{\"name\": \"ann\", \"age\": \"3\", \"null\": [\"\", \"x\"], \"source\": \"custom\"}]"},
		{"x.csv", "h1 h2\nv1 v2\n",
			"[{\"full_log\": \"h1 h2\", \"source\": \"custom\"}, {\"full_log\": \"v1 v2\", \"source\": \"custom\"}]"},
		{"x.csv", "col\n\"multi\nline\"\nz\n",
			"[{\"c\": \"multi\\nline\", \"source\": \"custom\"}, {\"c\": \"z\", \"source\": \"custom\"}]"},
		{"x.csv", "a:b,c\n1:2,3\n",
			"[{\"a:b\": \"1:2\", \"c\": \"3\", \"source\": \"custom\"}]"},
		{"e.json", "",
			"[]"},
		{"x.csv", "\"a\";\"b\"\n\"1\";\"2\"\n",
			"[{\"a\": \"1\", \"b\": \"2\", \"source\": \"custom\"}]"},
		{"x.csv", "x, \"y\"\n1, \"2, 3\"\n",
			"[{\"x\": \"1\", \"y\": \"2, 3\", \"source\": \"custom\"}]"},
		{"x.csv", "'q'\nv\n",
			"[{\"q\": \"v\", \"source\": \"custom\"}]"},
		{"x.csv", "\"a\" \"b\"\nc d\n",
			"[{\"a\": \"c\", \"b\": \"d\", \"source\": \"custom\"}]"},
		{"x.csv", "a\tb\n1\t2\n",
			"[{\"a\": \"1\", \"b\": \"2\", \"source\": \"custom\"}]"},
		{"x.csv", "k=\"v\"\"w\"\"\" ,z\nq,r\n",
			"[{\"k=\\\"v\\\"\\\"w\\\"\\\"\\\" \": \"q\", \"z\": \"r\", \"source\": \"custom\"}]"},
		{"x.csv", "h\u00e9llo,w\nA,B\n",
			"[{\"h\\u00e9llo\": \"A\", \"w\": \"B\", \"source\": \"custom\"}]"},
		{"x.csv", "a,b",
			"[]"},
	}
	for _, c := range cases {
		evs, err := bucketEvents(c.key, c.text, logging.Discard{})
		if err != nil {
			t.Errorf("%s %q: %v", c.key, c.text, err)
			continue
		}
		list := make([]pyjson.Value, len(evs))
		for i, e := range evs {
			list[i] = e
		}
		if got := string(pyjson.Marshal(list)); got != c.want {
			t.Errorf("%s %q:\n got %s\nwant %s", c.key, c.text, got, c.want)
		}
	}
}

func TestBucketEventsErrors(t *testing.T) {
	for _, c := range []struct{ key, text, want string }{
		{"x.csv", "\nfoo\n", "Could not determine delimiter"},
		// csv.DictReader raises csv.Error past csv.field_size_limit().
		{"x.csv", "a,b\n1," + strings.Repeat("x", 131073) + "\n", "Error('field larger than field limit (131072)')"},
		{"f.json", `{"detail": "text"}`, `"detail" member is a str`},
		{"a.jsonl.gz", "[1]\n", "not an object"},
	} {
		_, err := bucketEvents(c.key, c.text, logging.Discard{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q: got %v, want an error containing %q", c.key, c.text, err, c.want)
		}
	}
}
