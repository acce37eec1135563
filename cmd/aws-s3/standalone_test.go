package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// --config runs the wodle block of an ossec.conf: the module's lines, the
// events on the agent's queue socket.
func TestConfigOnce(t *testing.T) {
	srv, err := fixture.StartS3()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	if err := srv.CreateBucket(ctx, "wazuh-trail"); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2024, 11, 20, 1, 0, 0, 0, time.UTC)
	key := fixture.CloudTrailKey("", fixture.Account, "us-east-1", day, "one")
	if err := srv.Put(ctx, "wazuh-trail", key, fixture.Gzip(fixture.CloudTrail(fixture.Account, "us-east-1", day, 5))); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", fixture.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", fixture.SecretKey)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("HOME", t.TempDir())

	home, err := os.MkdirTemp("", "q")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(home)
	if err := os.MkdirAll(filepath.Join(home, "queue", "sockets"), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(home, "bin")
	os.MkdirAll(bin, 0o755)
	os.WriteFile(filepath.Join(bin, "wazuh-control"), []byte("#!/bin/sh\necho 'WAZUH_VERSION=\"v5.1.0\"'\n"), 0o755)
	queue, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(home, "queue", "sockets", "queue"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer queue.Close()
	frames := make(chan string, 100)
	go func() {
		buf := make([]byte, 1<<17)
		for {
			n, err := queue.Read(buf)
			if err != nil {
				return
			}
			frames <- string(buf[:n])
		}
	}()

	conf := filepath.Join(home, "ossec.conf")
	os.WriteFile(conf, []byte(`<ossec_config><wodle name="aws-s3"><disabled>no</disabled><interval>1h</interval>
<bucket type="cloudtrail"><name>wazuh-trail</name><only_logs_after>2024-NOV-19</only_logs_after>
<service_endpoint>`+srv.URL+`</service_endpoint></bucket></wodle></ossec_config>`), 0o644)

	code, _, stderr := runArgs("--config", conf, "--once", "--wazuh-home", home)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	for _, want := range []string{
		"wazuh-modulesd:aws-s3: INFO: Module AWS started",
		"wazuh-modulesd:aws-s3: INFO: Executing Bucket Analysis: (Bucket: wazuh-trail, Type: cloudtrail)",
		"wazuh-modulesd:aws-s3: INFO: Bucket wazuh-trail (cloudtrail) run: 1 objects, 5 events, ",
		" bytes delivered in ",
		"; newest object " + key + ", ",
		"; 0 errors skipped\n",
		"wazuh-modulesd:aws-s3: INFO: Fetching logs finished.",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("log lacks %q:\n%s", want, stderr)
		}
	}
	for i := 0; i < 5; i++ {
		select {
		case f := <-frames:
			if !strings.HasPrefix(f, "1:Wazuh-AWS:{") || !strings.Contains(f, key) {
				t.Fatalf("frame %d = %.120q", i, f)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of 5 events arrived", i)
		}
	}
}
