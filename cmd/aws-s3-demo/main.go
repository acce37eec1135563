// Command aws-s3-demo shows the collector at work without AWS: it serves
// one sample of every bucket type from an in-process S3, runs one scan and
// prints each event as it would reach the Wazuh queue.
//
// It is a command of its own so that the installed aws-s3 carries no fake
// S3 server; `make demo` builds and runs it.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// demoBucket is one bucket of the demo: its type, the ossec.conf children
// beyond name and endpoint, and how to fill it.
type demoBucket struct {
	typ, extra string
	seed       func(day time.Time) (map[string][]byte, error)
}

var demoDay = time.Date(2024, 11, 20, 9, 30, 0, 0, time.UTC)

func gz(b []byte, err error) ([]byte, error) { return fixture.Gzip(b), err }

func writeTo(f func(w io.Writer) error) ([]byte, error) {
	var b bytes.Buffer
	err := f(&b)
	return b.Bytes(), err
}

// One sample of every bucket type the reference reads, in the layouts AWS
// (or Cisco) writes them.
var demoBuckets = []demoBucket{
	{"cloudtrail", "", func(d time.Time) (map[string][]byte, error) {
		m := map[string][]byte{}
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			m[fixture.CloudTrailKey("", fixture.Account, region, d, "demo")] = fixture.Gzip(fixture.CloudTrail(fixture.Account, region, d, 3))
		}
		return m, nil
	}},
	{"config", "", func(d time.Time) (map[string][]byte, error) {
		key := fmt.Sprintf("AWSLogs/%s/Config/us-east-1/%d/%d/%d/ConfigHistory/%s_Config_us-east-1_ConfigHistory_AWS::EC2::Instance_%s_%s_1.json.gz",
			fixture.Account, d.Year(), d.Month(), d.Day(), fixture.Account, d.Format("20060102T150405Z"), d.Add(time.Hour).Format("20060102T150405Z"))
		body := fmt.Sprintf(`{"fileVersion":"1.0","configurationItems":[{"configurationItemVersion":"1.3","configurationItemCaptureTime":"%s","configurationStateId":1,"awsAccountId":"%s","configurationItemStatus":"OK","resourceType":"AWS::EC2::Instance","resourceId":"i-0123456789abcdef0","awsRegion":"us-east-1","configuration":{"instanceId":"i-0123456789abcdef0","state":{"code":16,"name":"running"},"securityGroups":[{"groupId":"sg-1","groupName":"web"}]},"tags":{"Name":"web-1"}}]}`,
			d.Format("2006-01-02T15:04:05.000Z"), fixture.Account)
		return map[string][]byte{key: fixture.Gzip([]byte(body))}, nil
	}},
	{"vpcflow", "", func(d time.Time) (map[string][]byte, error) {
		body, err := gz(writeTo(func(w io.Writer) error { return fixture.WriteVPCFlow(w, fixture.Account, d, 3) }))
		return map[string][]byte{fixture.VPCFlowKey("", fixture.Account, "us-east-1", fixture.FlowLogID, d, "demo"): body}, err
	}},
	{"guardduty", "", func(d time.Time) (map[string][]byte, error) {
		return map[string][]byte{fixture.GuardDutyKey("", fixture.Account, "us-east-1", d, "5d8a6f1e-demo"): fixture.Gzip(fixture.GuardDuty(fixture.Account, "us-east-1", d, 2))}, nil
	}},
	{"alb", "", func(d time.Time) (map[string][]byte, error) {
		body, err := gz(writeTo(func(w io.Writer) error { return fixture.WriteALB(w, fixture.Account, "us-east-1", d, 2) }))
		return map[string][]byte{fixture.ALBKey("", fixture.Account, "us-east-1", "app.web-lb.50dc6c495c0c9188", d, "demo"): body}, err
	}},
	{"clb", "", func(d time.Time) (map[string][]byte, error) {
		key := fmt.Sprintf("AWSLogs/%s/elasticloadbalancing/us-east-1/%s/%s_elasticloadbalancing_us-east-1_my-clb_%s_192.0.2.1_demo.log", fixture.Account, d.Format("2006/01/02"), fixture.Account, d.Format("20060102T1504Z"))
		line := d.Format("2006-01-02T15:04:05.000000Z") + ` my-clb 192.0.2.10:4567 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/8.5.0" - -` + "\n"
		return map[string][]byte{key: []byte(line)}, nil
	}},
	{"nlb", "", func(d time.Time) (map[string][]byte, error) {
		key := fmt.Sprintf("AWSLogs/%s/elasticloadbalancing/us-east-1/%s/%s_elasticloadbalancing_us-east-1_net.my-nlb.c6e77e28c25b2234_%s_demo.log.gz", fixture.Account, d.Format("2006/01/02"), fixture.Account, d.Format("20060102T1504Z"))
		line := "tls 2.0 " + d.Format("2006-01-02T15:04:05") + " net/my-nlb/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-1:" + fixture.Account + ":certificate/abc - ECDHE-RSA-AES128-SHA tlsv12 - my-nlb.elb.us-east-1.amazonaws.com - - -\n"
		return map[string][]byte{key: fixture.Gzip([]byte(line))}, nil
	}},
	{"waf", "<path>firehose/waf/</path>", func(d time.Time) (map[string][]byte, error) {
		key := "firehose/waf/" + d.Format("2006/01/02/15") + "/aws-waf-logs-demo-1-" + d.Format("2006-01-02-15-04-05") + "-demo"
		body := fmt.Sprintf(`{"timestamp":%d,"formatVersion":1,"webaclId":"arn:aws:wafv2:us-east-1:%s:regional/webacl/demo/1","terminatingRuleId":"Default_Action","terminatingRuleType":"REGULAR","action":"ALLOW","httpSourceName":"ALB","httpRequest":{"clientIp":"203.0.113.7","country":"US","headers":[{"name":"Host","value":"www.example.com"},{"name":"User-Agent","value":"curl/8.5.0"},{"name":"X-Internal","value":"dropped"}],"uri":"/","httpMethod":"GET","requestId":"1"}}`+"\n",
			d.UnixMilli(), fixture.Account)
		return map[string][]byte{key: []byte(body)}, nil
	}},
	{"server_access", "<path>s3-access/</path>", func(d time.Time) (map[string][]byte, error) {
		key := "s3-access/" + d.Format("2006-01-02-15-04-05") + "-0123456789ABCDEF"
		line := `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [` + d.Format("02/Jan/2006:15:04:05 -0700") + `] 198.51.100.157 - 2Y1YNJYJVGWF96UV REST.GET.OBJECT reports/q4.pdf "GET /amzn-s3-demo-bucket1/reports/q4.pdf HTTP/1.1" 200 - 113 113 47 46 "-" "aws-cli/2.15.30" - 3HL4kqtJvjVBH40N= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSv1.2 - -` + "\n"
		return map[string][]byte{key: []byte(line)}, nil
	}},
	{"cisco_umbrella", "<path>umbrella/dnslogs/</path>", func(d time.Time) (map[string][]byte, error) {
		key := "umbrella/dnslogs/" + d.Format("2006-01-02") + "/" + d.Format("2006-01-02-15-04") + "-demo.csv.gz"
		row := `"` + d.Format("2006-01-02 15:04:05") + `","laptop-7","laptop-7,HQ","10.0.0.5","203.0.113.5","Allowed","1 (A)","NOERROR","example.com.","Software/Technology","Roaming Computers","Roaming Computers,Sites",""` + "\n"
		return map[string][]byte{key: fixture.Gzip([]byte(row))}, nil
	}},
	{"custom", "<path>firehose/events/</path>", func(d time.Time) (map[string][]byte, error) {
		return map[string][]byte{fixture.FirehoseKey("firehose/events/", d, "demo"): fixture.Firehose(d, 2)}, nil
	}},
}

// demoConfig is the ossec.conf block of the demo: one bucket of every type
// on the in-process S3 at endpoint.
func demoConfig(endpoint string) string {
	var b strings.Builder
	b.WriteString("<ossec_config>\n  <wodle name=\"aws-s3\">\n    <disabled>no</disabled>\n    <interval>10m</interval>\n    <skip_on_error>yes</skip_on_error>\n")
	for _, db := range demoBuckets {
		fmt.Fprintf(&b, "    <bucket type=%q>\n      <name>wazuh-demo-%s</name>\n      <only_logs_after>2024-NOV-19</only_logs_after>\n      <service_endpoint>%s</service_endpoint>\n",
			db.typ, strings.ReplaceAll(db.typ, "_", "-"), endpoint)
		if db.extra != "" {
			fmt.Fprintf(&b, "      %s\n", db.extra)
		}
		b.WriteString("    </bucket>\n")
	}
	b.WriteString("  </wodle>\n</ossec_config>\n")
	return b.String()
}

func main() {
	// -wazuh-home DIR keeps the state database there, for aws-s3 --status.
	home := ""
	if len(os.Args) == 3 && os.Args[1] == "-wazuh-home" {
		home = os.Args[2]
	} else if len(os.Args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: aws-s3-demo [-wazuh-home DIR]")
		os.Exit(2)
	}
	os.Exit(demo(home, os.Stdout, os.Stderr))
}

// demo serves sample logs of every bucket type from an in-process S3,
// runs one scan of demoConfig, prints every event as it would reach the
// Wazuh queue, then a summary line. The state database goes to home, or to a temporary directory removed
// at the end when home is "".
func demo(home string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
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
	if home == "" {
		tmp, err := os.MkdirTemp("", "aws-s3-demo-")
		if err != nil {
			fmt.Fprintln(stderr, "demo:", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		home = tmp
	}
	// The in-process S3 takes any credentials; the SDK still wants some.
	os.Setenv("AWS_ACCESS_KEY_ID", fixture.AccessKey)
	os.Setenv("AWS_SECRET_ACCESS_KEY", fixture.SecretKey)
	os.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	m, err := config.ParseXML(strings.NewReader(demoConfig(srv.URL)), nil)
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
	fmt.Fprintf(stdout, "demo: %d bucket types, %d objects, %d events, %d bytes read, %d bytes delivered in %.2f s\n",
		len(m.Targets), stats.Objects.Load(), out.Events(), stats.Bytes.Load(), out.Bytes(), time.Since(start).Seconds())
	return 0
}

func seedDemo(ctx context.Context, s *fixture.S3) error {
	for _, db := range demoBuckets {
		bucket := "wazuh-demo-" + strings.ReplaceAll(db.typ, "_", "-")
		if err := s.CreateBucket(ctx, bucket); err != nil {
			return err
		}
		objects, err := db.seed(demoDay)
		if err != nil {
			return fmt.Errorf("%s: %w", db.typ, err)
		}
		for key, body := range objects {
			if err := s.Put(ctx, bucket, key, body); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	return nil
}
