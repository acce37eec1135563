package bucket_test

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// BenchmarkSmallObjectsRun is bench B in process, without the added
// latency: a run over 500 gzip CloudTrail objects of ten records each,
// from the in-process S3 to a queue socket. Its allocation profile
// (-memprofile) shows what each object costs beyond its events.
func BenchmarkSmallObjectsRun(b *testing.B) {
	const objects, records = 500, 10
	s3, _ := cloudTrailBucket(b, "small", objects, records)
	defer s3.Close()
	b.Setenv("AWS_ACCESS_KEY_ID", fixture.AccessKey)
	b.Setenv("AWS_SECRET_ACCESS_KEY", fixture.SecretKey)
	b.Setenv("AWS_REGION", "us-east-1")
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		home := b.TempDir()
		b.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "none"))
		b.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "none"))
		qpath := filepath.Join(home, "queue", "sockets", "queue")
		os.MkdirAll(filepath.Dir(qpath), 0o750)
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: qpath, Net: "unixgram"})
		if err != nil {
			b.Fatal(err)
		}
		conn.SetReadBuffer(8 << 20)
		got := make(chan int)
		go func() {
			n, buf := 0, make([]byte, 1<<16)
			for n < objects*records {
				if _, err := conn.Read(buf); err != nil {
					break
				}
				n++
			}
			got <- n
		}()
		tgt, err := config.ParseArgv("aws-s3", []string{"--bucket", "small", "--type", "cloudtrail",
			"--service_endpoint", s3.URL, "--only_logs_after", "2024-NOV-19"})
		if err != nil {
			b.Fatal(err)
		}
		log := logging.NewScript(io.Discard, tgt.Debug)
		q := sink.NewSocket(qpath, log)
		b.StartTimer()
		code := engine.Run(context.Background(), tgt, engine.Host{Home: home, Version: "v5.1.0", Log: log, Sink: q,
			Now: func() time.Time { return seedDay.Add(48 * time.Hour) }})
		if code != 0 {
			b.Fatalf("exit code %d", code)
		}
		var n int
		select {
		case n = <-got:
		case <-time.After(10 * time.Second):
		}
		b.StopTimer()
		q.Close()
		conn.Close()
		if n != objects*records {
			b.Fatalf("%d events reached the queue, want %d", n, objects*records)
		}
		b.StartTimer()
	}
}
