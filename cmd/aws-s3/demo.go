package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// demoConfig is the ossec.conf block of the demo; ENDPOINT is replaced by
// the in-process S3's address.
const demoConfig = `<ossec_config>
  <wodle name="aws-s3">
    <disabled>no</disabled>
    <interval>10m</interval>
    <run_on_start>yes</run_on_start>
    <skip_on_error>yes</skip_on_error>
    <bucket type="cloudtrail">
      <name>wazuh-demo-trail</name>
      <only_logs_after>2024-NOV-19</only_logs_after>
      <service_endpoint>ENDPOINT</service_endpoint>
    </bucket>
    <bucket type="custom">
      <name>wazuh-demo-firehose</name>
      <path>firehose/</path>
      <only_logs_after>2024-NOV-19</only_logs_after>
      <service_endpoint>ENDPOINT</service_endpoint>
    </bucket>
  </wodle>
</ossec_config>
`

// demo serves sample logs from an in-process S3, runs one scan of
// demoConfig and prints every event, then a summary line.
func demo(stdout, stderr io.Writer) int {
	ctx, stop := signalContext()
	defer stop()
	srv, err := fixture.StartS3()
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	defer srv.Close()
	if err := seedDemo(ctx, srv); err != nil {
		fmt.Fprintln(stderr, "demo: seeding the in-process S3:", err)
		return 1
	}
	home, err := os.MkdirTemp("", "aws-s3-demo-")
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	defer os.RemoveAll(home)
	// The in-process S3 takes any credentials; the SDK still wants some.
	os.Setenv("AWS_ACCESS_KEY_ID", fixture.AccessKey)
	os.Setenv("AWS_SECRET_ACCESS_KEY", fixture.SecretKey)
	os.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	m, err := config.ParseXML(strings.NewReader(strings.ReplaceAll(demoConfig, "ENDPOINT", srv.URL)), nil)
	if err != nil {
		fmt.Fprintln(stderr, "demo: configuration:", err)
		return 1
	}
	out := sink.NewCounting(sink.NewWriter(stdout))
	log := logging.NewScript(stderr, 0)
	var stats engine.Stats
	start := time.Now()
	for _, t := range m.Targets {
		if code := engine.Run(ctx, t, engine.Host{Home: home, Version: "demo", Log: log, Sink: out, Stats: &stats}); code != 0 {
			fmt.Fprintf(stderr, "demo: bucket %s ended with exit code %d\n", t.Bucket, code)
			return code
		}
	}
	fmt.Fprintf(stdout, "demo: %d objects, %d events, %d bytes compressed (%d delivered) in %.2f s\n",
		stats.Objects.Load(), out.Events(), stats.Bytes.Load(), out.Bytes(), time.Since(start).Seconds())
	return 0
}

// seedDemo uploads a day and a half of sample CloudTrail files in two
// regions and a few Firehose objects.
func seedDemo(ctx context.Context, s *fixture.S3) error {
	for _, b := range []string{"wazuh-demo-trail", "wazuh-demo-firehose"} {
		if err := s.CreateBucket(ctx, b); err != nil {
			return err
		}
	}
	base := time.Date(2024, 11, 19, 0, 5, 0, 0, time.UTC)
	for i := 0; i < 6; i++ {
		t := base.Add(time.Duration(i) * 6 * time.Hour)
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			key := fixture.CloudTrailKey("", fixture.Account, region, t, fmt.Sprintf("demo%02d", i))
			if err := s.Put(ctx, "wazuh-demo-trail", key, fixture.Gzip(fixture.CloudTrail(fixture.Account, region, t, 3))); err != nil {
				return err
			}
		}
		key := fixture.FirehoseKey("firehose/", t, fmt.Sprintf("demo%02d", i))
		if err := s.Put(ctx, "wazuh-demo-firehose", key, fixture.Firehose(t, 2)); err != nil {
			return err
		}
	}
	return nil
}
