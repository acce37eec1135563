package exit

import (
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wazuh/aws-s3-go/core/awsclient"
	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/decode"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
	"github.com/wazuh/aws-s3-go/core/send"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/core/state"
)

// failWriter is a queue that refuses every event.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// decodeErr is what decode returns for body read as an object of typ.
func decodeErr(t *testing.T, typ, key, body string, opt decode.Options) error {
	t.Helper()
	text, err := decode.Open(key, strings.NewReader(body))
	if err != nil {
		return err
	}
	err = decode.Events(typ, key, text, opt, func(*pyjson.Object) error { return nil })
	if err == nil {
		t.Fatalf("%s %s: no error", typ, key)
	}
	return err
}

// The errors the packages return, each mapped to the script's code and
// line.
func TestOf(t *testing.T) {
	configErr := func(json string) error {
		_, err := config.FromJSON([]byte(json))
		return err
	}
	argvErr := func(args []string) error {
		_, err := config.ParseArgv("aws-s3", args)
		return err
	}
	sendErr := send.New(sink.NewWriter(failWriter{}), nil, nil).Event(context.Background(), []byte("{}"))
	cases := []struct {
		name  string
		err   error
		code  int
		msg   string
		debug int
	}{
		{"invalid type", configErr(`{"bucket": {"name": "wazuh-trail", "type": "nope"}}`), InvalidType,
			"Invalid bucket type 'nope'. Valid ones are 'cloudtrail', 'config', 'guardduty', 'vpcflow', 'waf', 'cisco_umbrella', custom', alb', clb', nlb' or 'server_access'", 0},
		{"invalid region", configErr(`{"bucket": {"name": "wazuh-trail", "type": "cloudtrail", "regions": "us-fake-1"}}`), InvalidRegion, "Invalid region 'us-fake-1'", 0},
		{"subscriber without queue", configErr(`{"subscriber": {"type": "buckets"}}`), SQSFailure, "Used a subscriber but no --queue provided.", 0},
		{"bad value", configErr(`{"bucket": {"name": "wazuh-trail", "type": "cloudtrail", "only_logs_after": "JAN-31"}}`), Arguments, "", 0},
		{"not gzip", decodeErr(t, "cloudtrail", "a.json.gz", "plain", decode.Options{}), Decompress, "Invalid gzip file received.", 0},
		{"bad JSON", decodeErr(t, "cloudtrail", "a.json", "{", decode.Options{}), Parse, "Failed to parse file a.json: ", 0},
		{"bad WAF line", decodeErr(t, "waf", "p/w", "{\n", decode.Options{}), Parse, "Events from w file could not be loaded.", 0},
		{"Umbrella prefix", decodeErr(t, "cisco_umbrella", "k.csv", "a,b\n", decode.Options{Prefix: "nothing/"}), InvalidType,
			"Only 'dnslogs', 'proxylogs' or 'iplogs' are allowed for Cisco Umbrella", 0},
		{"queue refused", sendErr, Send, "Error sending message to wazuh: ", 0},
		{"database", &state.Error{Kind: state.Query, Msg: "Unexpected error accessing SQLite DB: x"}, SQLite, "Unexpected error accessing SQLite DB: x", 0},
		{"table", &state.Error{Kind: state.Create, Msg: "Unable to create SQLite DB: x"}, CreateDB, "Unable to create SQLite DB: x", 0},
		{"locked", &state.Error{Kind: state.Locked, Msg: "Another aws-s3 run"}, Locked, "Another aws-s3 run", 0},
		{"profile", awsclient.AccessError(&awsclient.ProfileError{Profile: "p"}), Profile, "No profile named: 'p' was found in the user config file", 0},
		{"access", awsclient.AccessError(errors.New("no keys")), Credentials, "Access error: no keys", 0},
		{"throttled, said before", &awsclient.Error{Kind: awsclient.Throttling}, Throttling, "", 0},
		{"queue not found", awsclient.Errorf(awsclient.QueueNotFound, nil, "Queue does not exist, verify the given name"), SQSNotFound, "Queue does not exist", 0},
		{"request failed", awsclient.Errorf(awsclient.Failed, nil, "Unexpected error: 'x'."), Unknown, "Unexpected error: 'x'.", 0},
		{"empty bucket", host.Errorf(host.EmptyBucket, "No files were found in 'b/'."), EmptyBucket, "No files were found", 0},
		{"prefix", host.Errorf(host.InvalidPrefix, "No logs found in 'p'."), InvalidPrefix, "No logs found", 0},
		{"marker", host.Errorf(host.BadMarker, "no date"), Throttling, "no date", 0},
		{"debug only", &host.Quiet{Level: 1, Err: host.Errorf(host.InvalidRegion, "+++ ERROR: Invalid region 'x'")}, InvalidRegion, "+++ ERROR: Invalid region 'x'", 1},
		{"wrapped", fmt.Errorf("object k: %w", host.Errorf(host.MissingArgument, "no queue")), SQSFailure, "object k: no queue", 0},
		{"usage", argvErr([]string{"-b"}), Arguments, "argument -b/--bucket: expected one argument", 0},
		{"help", argvErr([]string{"-h"}), OK, "", 0},
		{"checked after parsing", argvErr([]string{"-b", "abc", "-d", "two"}), Unknown, "invalid literal for int()", 0},
		{"quiet below the error", &host.Error{Kind: host.EmptyBucket, Msg: "x", Err: &host.Quiet{Level: 1, Err: errors.New("y")}}, EmptyBucket, "x", 0},
		{"outermost wins", awsclient.Errorf(awsclient.Query, &send.Error{Err: errors.New("x")}, "q"), S3Query, "q", 0},
	}
	for _, c := range cases {
		o, ok := Of(c.err)
		if !ok || o.Code != c.code || !strings.HasPrefix(o.Msg, c.msg) || o.Debug != c.debug {
			t.Errorf("%s: Of(%v) = %+v, %v; want code %d, message %q…, debug %d", c.name, c.err, o, ok, c.code, c.msg, c.debug)
		}
	}
	for _, err := range []error{
		errors.New("boom"),
		context.Canceled,
		&state.Error{Kind: state.Cleanup, Msg: "Failed to execute DB cleanup"},
	} {
		if o, ok := Of(err); ok {
			t.Errorf("Of(%v) = %+v, want none of the script's failures", err, o)
		}
	}
}

func TestLogAndUnexpected(t *testing.T) {
	var b strings.Builder
	log := logging.NewScript(&b, 2)
	Outcome{Code: 22, Msg: "quiet", Debug: 1}.Log(log)
	Outcome{Code: 16}.Log(log)
	Outcome{Code: 14, Msg: "loud"}.Log(log)
	if code := Unexpected(log, errors.New("boom"), 0); code != InvalidType {
		t.Errorf("Unexpected without debug = %d, want %d", code, InvalidType)
	}
	if code := Unexpected(log, errors.New("bang"), 2); code != Unknown {
		t.Errorf("Unexpected with debug = %d, want %d", code, Unknown)
	}
	want := "DEBUG: quiet\nERROR: loud\nDEBUG: +++ Error: boom\nERROR: boom\nDEBUG: +++ Error: bang\nERROR: Unknown error: bang\n"
	if b.String() != want {
		t.Errorf("logged:\n%s\nwant:\n%s", b.String(), want)
	}
}

// The codes are chosen here only: no other package of core imports this
// one but the engine, which maps a run's outcome.
func TestOnlyTheEdgeImportsExit(t *testing.T) {
	const self = "github.com/wazuh/aws-s3-go/core/exit"
	files, err := filepath.Glob("../*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		dir := filepath.Base(filepath.Dir(f))
		if strings.HasSuffix(f, "_test.go") || dir == "exit" || dir == "engine" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == self {
				t.Errorf("%s imports core/exit: return a typed error and map it here", f)
			}
		}
	}
}

// TestHeaderCodes keeps include/aws_s3.h, which C hosts compile against,
// in step with the codes this package returns.
func TestHeaderCodes(t *testing.T) {
	want := map[string]int{
		"UNKNOWN": Unknown, "ARGUMENTS": Arguments, "CREDENTIALS": Credentials,
		"SQLITE": SQLite, "SQLITE_CREATE": CreateDB, "S3_QUERY": S3Query,
		"DECOMPRESS": Decompress, "PARSE": Parse, "QUEUE": Queue,
		"INVALID_TYPE": InvalidType, "SEND": Send, "EMPTY_BUCKET": EmptyBucket,
		"ENDPOINT": Endpoint, "THROTTLING": Throttling, "KEY_FORMAT": InvalidKey,
		"PREFIX": InvalidPrefix, "CLOCK_SKEW": ClockSkew, "SQS_NOT_FOUND": SQSNotFound,
		"SQS": SQSFailure, "REGION": InvalidRegion, "PROFILE": Profile, "LOCKED": Locked,
	}
	h, err := os.ReadFile(filepath.Join("..", "..", "include", "aws_s3.h"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, line := range strings.Split(string(h), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "#define" || !strings.HasPrefix(f[1], "AWS_S3_EXIT_") {
			continue
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			t.Fatalf("aws_s3.h: %s: %v", line, err)
		}
		got[strings.TrimPrefix(f[1], "AWS_S3_EXIT_")] = n
	}
	for name, code := range want {
		if n, ok := got[name]; !ok || n != code {
			t.Errorf("aws_s3.h: AWS_S3_EXIT_%s = %d (present %v), core/exit has %d", name, n, ok, code)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("aws_s3.h defines AWS_S3_EXIT_%s, which core/exit does not have", name)
		}
	}
}
