package decode

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/wazuh/aws-s3-go/core/kind"
	"github.com/wazuh/aws-s3-go/core/pycsv"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

func TestCSVReader(t *testing.T) {
	// Expected rows are what CPython's csv.reader(delimiter=' ') returns.
	tests := []struct {
		in   string
		want [][]string
	}{
		{"a b c\n", [][]string{{"a", "b", "c"}}},
		{"a  b\n", [][]string{{"a", "", "b"}}},
		{" a\n", [][]string{{"", "a"}}},
		{"\"ab\"cd e\n", [][]string{{"abcd", "e"}}},
		{"a\"b c\n", [][]string{{"a\"b", "c"}}},
		{"\"x y\" z\n", [][]string{{"x y", "z"}}},
		{"\"multi\nline\" q\n", [][]string{{"multi\nline", "q"}}},
		{"\n\na\n\n", [][]string{{}, {}, {"a"}, {}}},
		{"\"a\"\"b\" c\n", [][]string{{"a\"b", "c"}}},
		{"last", [][]string{{"last"}}},
		{"\"unterminated\nmore", [][]string{{"unterminated\nmore"}}},
		{"a b ", [][]string{{"a", "b", ""}}},
		{"\"\" x\n", [][]string{{"", "x"}}},
		{"x \"\"\n", [][]string{{"x", ""}}},
	}
	for _, tt := range tests {
		c := newCSVReader(strings.NewReader(tt.in), ' ', Limits{})
		var got [][]string
		for {
			row, err := c.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%q: %v", tt.in, err)
			}
			got = append(got, append([]string{}, row...))
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) || len(got) != len(tt.want) {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
	c := newCSVReader(strings.NewReader(strings.Repeat("x", pycsv.FieldLimit+1)), ' ', Limits{})
	if _, err := c.next(); err == nil || !strings.Contains(err.Error(), "field larger than field limit") {
		t.Errorf("field limit: %v", err)
	}
}

func TestServerAccessTokens(t *testing.T) {
	// Expected values are what the reference's parse_line returns.
	tests := []struct {
		in   string
		want []string
	}{
		{"o b [29/Apr/2025:08:47:53 +0000] 1.2.3.4 \"GET /x HTTP/1.1\" \"-\" z\n",
			[]string{"o", "b", "29/Apr/2025:08:47:53 +0000", "1.2.3.4", "GET /x HTTP/1.1", "-", "z"}},
		{"a \"x  y\" b\n", []string{"a", "\"x", "y\"", "b"}},
		{"a 'q r' s\n", []string{"a", "'q r' s"}},
		{"a [b] c\n", []string{"a", "[b]", "c"}},
		{"a b  c d\n", []string{"a", "b"}},
		{"a \"unterminated x\n", []string{"a", "\"unterminated x"}},
		{"\"\n", []string{"\""}},
		{"\n", []string{""}},
		{"é \"ü x\" y\n", []string{"é", "ü x", "y"}},
		{"a \"x\"\n", []string{"a", "\"x\""}},
	}
	for _, tt := range tests {
		got, err := serverAccessTokens(tt.in, 1000)
		if err != nil || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
			t.Errorf("%q: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := serverAccessTokens(" leading space\n", 1000); err == nil || err.Detail != "IndexError('list index out of range')" {
		t.Errorf("leading space: %v", err)
	}
}

type recLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *recLog) add(s string)              { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }
func (l *recLog) Debug(lvl int, msg string) { l.add(fmt.Sprintf("DEBUG%d: %s", lvl, msg)) }
func (l *recLog) Info(msg string)           { l.add("INFO: " + msg) }
func (l *recLog) Warning(msg string)        { l.add("WARNING: " + msg) }
func (l *recLog) Error(msg string)          { l.add("ERROR: " + msg) }
func (l *recLog) Print(msg string)          { l.add(msg) }
func (l *recLog) Enabled(int) bool          { return true }

const albLine = `h2 2024-01-01T00:00:00.1Z app/x/1 1.2.3.4:5678 10.0.0.1:80 0.001 0.002 0.000 200 200 10 20 "GET https://a:443/ HTTP/2.0" "curl/8.0" ECDHE TLSv1.2 arn:tg "Root=1" "a.com" "arn:cert" 0 2024-01-01T00:00:00Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1`

func TestEvents(t *testing.T) {
	tests := []struct {
		name, typ, key, prefix string
		skip                   bool
		in                     string
		want                   []string // Marshal of each event
		err                    string   // Message() of the *Error, or its Log when Fatal
		fatal                  bool
		logs                   []string
	}{
		{name: "cloudtrail", typ: "cloudtrail", key: "a.json.gz",
			in:   `{"Records":[{"eventVersion":"1.08","n":1.0,"u":"\u00e9","source":"x","z":null},{"a":[1]}]}`,
			want: []string{`{"eventVersion": "1.08", "n": 1.0, "u": "\u00e9", "source": "cloudtrail", "z": null}`, `{"a": [1], "source": "cloudtrail"}`}},
		{name: "cloudtrail without Records", typ: "cloudtrail", key: "a", in: `{"other":[{"a":1}]}`},
		{name: "cloudtrail top-level list", typ: "cloudtrail", key: "a", in: `[{"a":1}]`},
		{name: "cloudtrail top-level null", typ: "cloudtrail", key: "a", in: `null`,
			err: `Failed to decompress file a: TypeError("argument of type 'NoneType' is not iterable")`},
		{name: "cloudtrail string record", typ: "cloudtrail", key: "a", in: `{"Records":["ab"]}`,
			err: `Failed to parse file a: ValueError('dictionary update sequence element #0 has length 1; 2 is required')`},
		{name: "cloudtrail syntax", typ: "cloudtrail", key: "a", in: `{"Records":[{"a":1},]}`,
			err: `Failed to parse file a: JSONDecodeError('Expecting value: line 1 column 21 (char 20)')`},
		{name: "cloudtrail BOM", typ: "cloudtrail", key: "a", in: "\ufeff{}",
			err: `Failed to parse file a: JSONDecodeError('Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)')`},
		{name: "config", typ: "config", key: "a", in: `{"fileVersion":"1.0","configurationItems":[{"x":1}]}`,
			want: []string{`{"x": 1, "source": "config"}`}},
		{name: "vpc header and row", typ: "vpcflow", key: "a",
			in: "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
				"2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 5555 6 10 840 1622505433 1622505730 ACCEPT OK\n",
			want: []string{
				`{"version": "version", "account_id": "account-id", "interface_id": "interface-id", "srcaddr": "srcaddr", "dstaddr": "dstaddr", "srcport": "srcport", "dstport": "dstport", "protocol": "protocol", "packets": "packets", "bytes": "bytes", "start": "start", "end": "end", "action": "action", "log_status": "log-status", "source": "vpc"}`,
				`{"version": "2", "account_id": "123456789012", "interface_id": "eni-1", "srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "srcport": "443", "dstport": "5555", "protocol": "6", "packets": "10", "bytes": "840", "start": "2021-05-31T23:57:13Z", "end": "2021-06-01T00:02:10Z", "action": "ACCEPT", "log_status": "OK", "source": "vpc"}`}},
		{name: "vpc extra columns", typ: "vpcflow", key: "a", in: "2 1 e s d 1 2 6 1 1 0 60 ACCEPT OK x y\n",
			want: []string{`{"version": "2", "account_id": "1", "interface_id": "e", "srcaddr": "s", "dstaddr": "d", "srcport": "1", "dstport": "2", "protocol": "6", "packets": "1", "bytes": "1", "start": "1970-01-01T00:00:00Z", "end": "1970-01-01T00:01:00Z", "action": "ACCEPT", "log_status": "OK", "null": ["x", "y"], "source": "vpc"}`}},
		{name: "vpc short row", typ: "vpcflow", key: "a", in: "2 1 e\n",
			err: `Failed to decompress file a: TypeError("int() argument must be a string, a bytes-like object or a real number, not 'NoneType'")`},
		{name: "vpc dash start", typ: "vpcflow", key: "a", in: "2 1 e s d 1 2 6 1 1 - - NODATA OK\n",
			err: `Failed to parse file a: ValueError("invalid literal for int() with base 10: '-'")`},
		{name: "vpc year out of range", typ: "vpcflow", key: "a", in: "2 1 e s d 1 2 6 1 1 253402300800 0 A OK\n",
			err: `Failed to parse file a: ValueError('year 10000 is out of range')`},
		{name: "alb 30 fields", typ: "alb", key: "a", in: albLine + "\n",
			want: []string{`{"type": "h2", "time": "2024-01-01T00:00:00.1Z", "elb": "app/x/1", "client_port": "5678", "target_port": "80", "request_processing_time": "0.001", "target_processing_time": "0.002", "response_processing_time": "0.000", "elb_status_code": "200", "target_status_code": "200", "received_bytes": "10", "sent_bytes": "20", "request": "GET https://a:443/ HTTP/2.0", "user_agent": "curl/8.0", "ssl_cipher": "ECDHE", "ssl_protocol": "TLSv1.2", "target_group_arn": "arn:tg", "trace_id": "Root=1", "domain_name": "a.com", "chosen_cert_arn": "arn:cert", "matched_rule_priority": "0", "request_creation_time": "2024-01-01T00:00:00Z", "action_executed": "forward", "redirect_url": "-", "error_reason": "-", "target_port_list": "80", "target_status_code_list": "200", "classification": "-", "classification_reason": "-", "null": ["TID_1"], "source": "alb", "client_ip": "1.2.3.4", "target_ip": "10.0.0.1", "target_ip_list": "10.0.0.1"}`}},
		{name: "alb dash target", typ: "alb", key: "a",
			in:   strings.Replace(strings.Replace(albLine, `10.0.0.1:80 0.001`, `- 0.001`, 1), `"10.0.0.1:80"`, `"1.1.1.1:1 2.2.2.2:2"`, 1),
			want: []string{`{"type": "h2", "time": "2024-01-01T00:00:00.1Z", "elb": "app/x/1", "client_port": "5678", "target_port": "-", "request_processing_time": "0.001", "target_processing_time": "0.002", "response_processing_time": "0.000", "elb_status_code": "200", "target_status_code": "200", "received_bytes": "10", "sent_bytes": "20", "request": "GET https://a:443/ HTTP/2.0", "user_agent": "curl/8.0", "ssl_cipher": "ECDHE", "ssl_protocol": "TLSv1.2", "target_group_arn": "arn:tg", "trace_id": "Root=1", "domain_name": "a.com", "chosen_cert_arn": "arn:cert", "matched_rule_priority": "0", "request_creation_time": "2024-01-01T00:00:00Z", "action_executed": "forward", "redirect_url": "-", "error_reason": "-", "target_port_list": "1 2", "target_status_code_list": "200", "classification": "-", "classification_reason": "-", "null": ["TID_1"], "source": "alb", "client_ip": "1.2.3.4", "target_ip_list": "1.1.1.1 2.2.2.2"}`},
			logs: []string{"DEBUG1: Unable to process correctly ABL log entry, for field target_port."}},
		{name: "alb short row", typ: "alb", key: "a", in: "h2 t elb\n",
			err: `Unknown error reading/parsing file a: AttributeError("'NoneType' object has no attribute 'split'")`},
		{name: "clb", typ: "clb", key: "a", in: `t elb 1.2.3.4:1 10.0.0.1:80 0.1 0.2 0.3 200 200 0 5 "GET / HTTP/1.1" "ua x" - -` + "\n",
			want: []string{`{"time": "t", "elb": "elb", "client_port": "1.2.3.4:1", "backend_port": "10.0.0.1:80", "request_processing_time": "0.1", "backend_processing_time": "0.2", "response_processing_time": "0.3", "elb_status_code": "200", "backend_status_code": "200", "received_bytes": "0", "sent_bytes": "5", "request": "GET / HTTP/1.1", "user_agent": "ua x", "ssl_cipher": "-", "ssl_protocol": "-", "source": "clb"}`}},
		{name: "nlb fallback", typ: "nlb", key: "a", in: "tls 2.0 t elb l 1.2.3.4:62215 bad 1 2 3 4 - - - - - - - - - -\n",
			want: []string{`{"type": "tls", "version": "2.0", "time": "t", "elb": "elb", "listener": "l", "client_port": "62215", "destination_port": "bad", "connection_time": "1", "tls_handshake_time": "2", "received_bytes": "3", "sent_bytes": "4", "incoming_tls_alert": "-", "chosen_cert_arn": "-", "chosen_cert_serial": "-", "tls_cipher": "-", "tls_protocol_version": "-", "tls_named_group": "-", "domain_name": "-", "alpn_fe_protocol": "-", "alpn_client_preference_list": "-", "null": ["-"], "source": "nlb", "client_ip": "62215", "destination_ip": "bad"}`}},
		{name: "nlb split", typ: "nlb", key: "a", in: "tls 2.0 t elb l 1.2.3.4:1 5.6.7.8:443\n",
			want: []string{`{"type": "tls", "version": "2.0", "time": "t", "elb": "elb", "listener": "l", "client_port": "1", "destination_port": "443", "connection_time": null, "tls_handshake_time": null, "received_bytes": null, "sent_bytes": null, "incoming_tls_alert": null, "chosen_cert_arn": null, "chosen_cert_serial": null, "tls_cipher": null, "tls_protocol_version": null, "tls_named_group": null, "domain_name": null, "alpn_fe_protocol": null, "alpn_client_preference_list": null, "source": "nlb", "client_ip": "1.2.3.4", "destination_ip": "5.6.7.8"}`}},
		{name: "umbrella dns", typ: "cisco_umbrella", key: "a", prefix: "umbrella/dnslogs",
			in: `"1","2","3","4","5","6","7","8","9","10","11","12","13","14"` + "\n" + `"a", "b"` + "\n",
			want: []string{`{"timestamp": "1", "most_granular_identity": "2", "identities": "3", "internal_ip": "4", "external_ip": "5", "action": "6", "query_type": "7", "response_code": "8", "domain": "9", "categories": "10", "most_granular_identity_type": "11", "identity_types": "12", "blocked_categories": "13", "null": ["14"], "source": "cisco_umbrella"}`,
				`{"timestamp": "a", "most_granular_identity": " \"b\"", "source": "cisco_umbrella"}`}},
		{name: "umbrella iplogs", typ: "cisco_umbrella", key: "a", prefix: "x/iplogs/", in: "1,2\n",
			want: []string{`{"timestamp": "1", "identity": "2", "source": "cisco_umbrella"}`}},
		{name: "umbrella bad prefix", typ: "cisco_umbrella", key: "a", prefix: "umbrella/dns", in: "1,2\n",
			err: "Only 'dnslogs', 'proxylogs' or 'iplogs' are allowed for Cisco Umbrella", fatal: true},
		{name: "server access", typ: "server_access", key: "a",
			in:   `own bkt [06/Feb/2019:00:00:38 +0000] 1.2.3.4 req ID OP key "GET /x HTTP/1.1" 200 - 10 10 1 1 "-" "ua x" - hid SigV4 c AuthHeader host TLSv1.2 arn extra` + "\n",
			want: []string{`{"bucket_owner": "own", "bucket": "bkt", "time": "06/Feb/2019:00:00:38 +0000", "remote_ip": "1.2.3.4", "requester": "req", "request_id": "ID", "operation": "OP", "key": "key", "request_uri": "GET /x HTTP/1.1", "http_status": "200", "error_code": "-", "bytes_sent": "10", "object_sent": "10", "total_time": "1", "turn_around_time": "1", "referer": "-", "user_agent": "ua x", "version_id": "-", "host_id": "hid", "signature_version": "SigV4", "cipher_suite": "c", "authentication_type": "AuthHeader", "host_header": "host", "tls_version": "TLSv1.2", "source": "s3_server_access"}`}},
		{name: "custom concatenated with whitespace (fix)", typ: "custom", key: "a",
			in:   `{"source":"aws.guardduty","detail":{"type":"X","arr":["one"]}}` + "\n" + `{"source":"aws.kms","nodetail":1} {"source":"aws.macie","detail":{"a":1,"source":"old"}}` + "\n",
			want: []string{`{"type": "X", "arr": ["one"], "source": "guardduty"}`, `{"a": 1, "source": "macie"}`}},
		{name: "custom macie repair", typ: "custom", key: "a",
			in:   `{"source":"aws.macie","detail":{"l":{"lat":012.50,"lon":-0003.25}}}{"source":"aws.macie","detail":{"l":{"lat":00.5,"lon":01.0}}}`,
			want: []string{`{"l": {"lat": 12.5, "lon": -3.25}, "source": "macie"}`, `{"l": {"lat": 12.5, "lon": -3.25}, "source": "macie"}`}},
		{name: "custom missing source", typ: "custom", key: "a", in: `{"detail":{}}`,
			err: `Unknown error reading/parsing file a: KeyError('source')`},
		{name: "custom bad json", typ: "custom", key: "a", in: `{"a":}`,
			err: `Failed to parse file a: JSONDecodeError('Expecting value: line 1 column 6 (char 5)')`},
		{name: "custom vpc fallback eats first char", typ: "custom", key: "a", in: "2 123 eni\n3 4\n",
			want: []string{`{"version": "", "account_id": "123", "interface_id": "eni", "srcaddr": null, "dstaddr": null, "srcport": null, "dstport": null, "protocol": null, "packets": null, "bytes": null, "start": null, "end": null, "action": null, "log_status": null, "source": "vpc"}`,
				`{"version": "3", "account_id": "4", "interface_id": null, "srcaddr": null, "dstaddr": null, "srcport": null, "dstport": null, "protocol": null, "packets": null, "bytes": null, "start": null, "end": null, "action": null, "log_status": null, "source": "vpc"}`}},
		{name: "custom empty", typ: "custom", key: "a", in: ""},
		{name: "guardduty jsonl", typ: "guardduty", key: "x.jsonl.gz", in: `{"service":{"serviceName":"guardduty"},"x":["y"]}` + "\n",
			want: []string{`{"service": {"serviceName": "guardduty"}, "x": ["y"], "source": "guardduty"}`}},
		{name: "guardduty blank line", typ: "guardduty", key: "x.jsonl.gz", in: `{"service":{"serviceName":"g"}}` + "\n\n",
			err: `Failed to parse file x.jsonl.gz: JSONDecodeError('Expecting value: line 2 column 1 (char 1)')`},
		{name: "guardduty no service", typ: "guardduty", key: "x.jsonl.gz", in: `{"a":1}`,
			err: `Unknown error reading/parsing file x.jsonl.gz: KeyError('service')`},
		{name: "guardduty other key is custom", typ: "guardduty", key: "x.gz", in: `{"source":"aws.guardduty","detail":{"a":1}}`,
			want: []string{`{"a": 1, "source": "guardduty"}`}},
		{name: "waf headers", typ: "waf", key: "p/w",
			in:   `{"httpRequest":{"clientIp":"1.2.3.4","headers":[{"name":"Host","value":"h"},{"name":"X-Custom","value":"c"},{"name":"user-agent","value":"ua"}]},"source":"s"}{"a":1,"httpRequest":{"headers":[]}}  ` + "\n\n",
			want: []string{`{"httpRequest": {"clientIp": "1.2.3.4", "headers": {"Host": "h", "user-agent": "ua"}}, "source": "waf"}`, `{"a": 1, "httpRequest": {"headers": {}}, "source": "waf"}`}},
		{name: "waf structure", typ: "waf", key: "p/w", in: `{"a":1}`,
			err: "The p/w file doesn't have the expected structure.", fatal: true},
		{name: "waf structure skipped", typ: "waf", key: "p/w", skip: true, in: `{"a":1}`,
			want: []string{`{"a": 1, "source": "waf"}`}, logs: []string{"ERROR: The p/w file doesn't have the expected structure."}},
		{name: "waf bad json", typ: "waf", key: "p/w", in: `{"a":`,
			err: "Events from w file could not be loaded.", fatal: true},
		{name: "waf bad json skipped", typ: "waf", key: "p/w", skip: true,
			in:   `{"httpRequest":{"headers":[]}} {"b":2}` + "\n" + `{"httpRequest":{"headers":[]},"n":3}`,
			want: []string{`{"httpRequest": {"headers": {}}, "source": "waf"}`, `{"httpRequest": {"headers": {}}, "n": 3, "source": "waf"}`},
			logs: []string{"ERROR: Events from w file could not be loaded."}},
		{name: "waf list event", typ: "waf", key: "p/w", in: `[1]`,
			err: `Failed to decompress file p/w: TypeError('list indices must be integers or slices, not str')`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &recLog{}
			var got []string
			err := Events(tt.typ, tt.key, strings.NewReader(tt.in), Options{Log: log, SkipOnError: tt.skip, Prefix: tt.prefix},
				func(o *pyjson.Object) error {
					got = append(got, string(pyjson.Marshal(o)))
					return nil
				})
			if tt.err != "" {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error %v, want %s", err, tt.err)
				}
				msg := e.Message()
				if e.Fatal {
					msg = e.Log
				}
				if msg != tt.err || e.Fatal != tt.fatal || e.Key != tt.key {
					t.Errorf("error %q (fatal %v), want %q (fatal %v)", msg, e.Fatal, tt.err, tt.fatal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, want := range tt.logs {
				found := false
				for _, l := range log.lines {
					found = found || l == want
				}
				if !found {
					t.Errorf("log line %q missing in %q", want, log.lines)
				}
			}
		})
	}
}

func TestEventsEmitError(t *testing.T) {
	stop := errors.New("stop")
	for _, typ := range kind.Names() {
		in := `{"Records":[{}],"configurationItems":[{}]}`
		key := "a"
		switch typ {
		case "alb":
			in = albLine
		case "vpcflow", "clb", "nlb", "server_access":
			in = "2 1 e s d 1 2 6 1 1 0 60 A OK\n"
		case "cisco_umbrella":
			in = "a,b\n"
		case "custom", "guardduty":
			in = `{"source":"s","detail":{}}`
		case "waf":
			in = `{"httpRequest":{"headers":[]}}`
		}
		err := Events(typ, key, strings.NewReader(in), Options{Prefix: "dnslogs"}, func(*pyjson.Object) error { return stop })
		if err != stop {
			t.Errorf("%s: error %v, want the emit error unchanged", typ, err)
		}
	}
	if err := Events("nope", "a", strings.NewReader(""), Options{}, nil); err == nil {
		t.Error("unknown type accepted")
	}
}

// A stream error behind a parse error wins for objects the reference reads
// whole before parsing (here: a truncated gzip behind broken JSON).
func TestStreamErrorWins(t *testing.T) {
	body := gz(`{"Records":[{"a":1},]}` + strings.Repeat(" ", 5000))
	text, err := Open("a.json.gz", strings.NewReader(string(body[:len(body)-12])))
	if err != nil {
		t.Fatal(err)
	}
	err = Events("cloudtrail", "a.json.gz", text, Options{}, func(*pyjson.Object) error { return nil })
	var e *Error
	if !errors.As(err, &e) || e.Detail != eofError {
		t.Errorf("error %v, want the EOFError", err)
	}
}
