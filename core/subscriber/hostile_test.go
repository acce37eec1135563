package subscriber

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// maxPeakRSS is the bound of issue 8: a hostile object must not take the
// host (wazuh-modulesd) down.
const maxPeakRSS = 128 << 10 // KiB

// TestHostileObjects sends objects built to exhaust memory through
// build/aws-s3 as a subscriber, 8 workers at once: each fails with the
// error naming it and the limit (its message left in the queue, as
// skip_on_error wants), a valid object around a gigabyte of whitespace is
// sent, and the process's peak resident set stays under 128 MB.
func TestHostileObjects(t *testing.T) {
	big, line := int64(1<<30), int64(256<<20)
	if testing.Short() {
		big, line = 32<<20, 32<<20
	}
	m := startMoto(t)
	bin := buildCmd(t)
	m.bucket(t, "hostile")
	objects := map[string][]byte{
		"string.json.gz":  fixture.GzipRepeat(`"`, "a", big, `"`),
		"space.json.gz":   fixture.GzipRepeat(`{"a": 1}`, " ", big, "\n\t"+`{"b": 2}`),
		"line.log.gz":     fixture.GzipRepeat("x1", "x", line, "\n"),
		"line.jsonl.gz":   fixture.GzipRepeat(`{"a": "`, "a", line, `"}`+"\n"),
		"hub/finding.gz":  fixture.GzipRepeat(`{"detail-type": "x", "detail": {"findings": ["`, "a", big, `"]}}`),
		"deep.json.gz":    fixture.GzipRepeat("", "[", big, ""),
		"values.json.gz":  fixture.GzipRepeat("[", ",", 0, strings.Repeat("0,", 300000)+"0]"),
		"csv/rows.csv.gz": fixture.GzipRepeat("a,b\nx,\"", "q", line, "\"\n"),
	}
	want := map[string]string{
		"string.json.gz":  "record at byte 0 is larger than 8388608 bytes (MaxRecordBytes)",
		"line.log.gz":     "line at byte 0 is longer than 8388608 bytes (MaxLineBytes)",
		"line.jsonl.gz":   "line at byte 0 is longer than 8388608 bytes (MaxLineBytes)",
		"hub/finding.gz":  "record at byte 0 is larger than 8388608 bytes (MaxRecordBytes)",
		"deep.json.gz":    "record at byte 0 is nested deeper than 10000 levels (MaxDepth)",
		"values.json.gz":  "record at byte 0 holds more than 262144 JSON values (MaxRecordValues)",
		"csv/rows.csv.gz": "line at byte 4 is longer than 8388608 bytes (MaxLineBytes)",
	}
	queues := map[string]string{}
	for _, typ := range []string{"buckets", "security_hub"} {
		queues[typ] = m.queue(t, "hostile-"+typ, 60)
	}
	for key, body := range objects {
		m.put(t, "hostile", key, body)
		typ := "buckets"
		if strings.HasPrefix(key, "hub/") {
			typ = "security_hub"
		}
		m.send(t, queues[typ], notification("hostile", key))
	}

	for _, typ := range []string{"buckets", "security_hub"} {
		home, err := os.MkdirTemp("", "ho") // short: sun_path holds 108 bytes
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(home) })
		sock := filepath.Join(home, "queue", "sockets", "queue")
		if err := os.MkdirAll(filepath.Dir(sock), 0o750); err != nil {
			t.Fatal(err)
		}
		q := bindQueueAt(t, sock)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, bin, "--wazuh-home", home, "--subscriber", typ, "--queue", "hostile-"+typ,
			"--access_key", "test", "--secret_key", "test", "--service_endpoint", m.url, "--skip_on_error")
		cmd.Env = append(cleanEnv(), "HOME="+home, "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL_SQS="+m.url,
			"AWS_EC2_METADATA_DISABLED=true", "TMPDIR="+home,
			"AWS_CONFIG_FILE="+filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "none"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		watch := fixture.WatchRSS(cmd.Process.Pid, 10*time.Millisecond, 0, nil)
		err = cmd.Wait()
		peak := watch.Stop()
		cancel()
		if err != nil {
			t.Fatalf("%s: %v\n%s", typ, err, out.String())
		}
		t.Logf("%s: peak RSS %d MiB", typ, peak>>10)
		if peak == 0 || peak >= maxPeakRSS {
			t.Errorf("%s: peak RSS %d KiB, want under %d KiB", typ, peak, maxPeakRSS)
		}

		var failed int
		for key, limit := range want {
			if strings.HasPrefix(key, "hub/") != (typ == "security_hub") {
				continue
			}
			failed++
			line := fmt.Sprintf("ERROR: Failed to parse file %s: LimitError('%s'); the SQS message was left in the queue and will be delivered again (received 1 times so far).\n", key, limit)
			if !strings.Contains(out.String(), line) {
				t.Errorf("%s: no line\n%s\nin the output:\n%.2000s", key, line, out.String())
			}
		}
		frames := q.all()
		if typ == "buckets" {
			li := `{"integration": "aws", "aws": {"log_info": {"log_file": "space.json.gz", "s3bucket": "hostile"}, `
			wantFrames := []string{li + `"a": 1, "source": "custom"}}`, li + `"b": 2, "source": "custom"}}`}
			if fmt.Sprint(frames) != fmt.Sprint(wantFrames) {
				t.Errorf("sent %q, want %q", frames, wantFrames)
			}
		} else if len(frames) != 0 {
			t.Errorf("security_hub sent %q", frames)
		}
		// The failed messages stay in the queue (invisible until their
		// timeout); the valid one is deleted.
		a, err := m.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queues[typ]),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
				sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			t.Fatal(err)
		}
		if v, nv := a.Attributes["ApproximateNumberOfMessages"], a.Attributes["ApproximateNumberOfMessagesNotVisible"]; v != "0" || nv != fmt.Sprint(failed) {
			t.Errorf("%s: %s messages visible and %s in flight, want 0 and %d", typ, v, nv, failed)
		}
		if ents, _ := filepath.Glob(filepath.Join(home, "aws-s3-*")); len(ents) != 0 {
			t.Errorf("temporary files left: %q", ents)
		}
	}
}
