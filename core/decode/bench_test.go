package decode

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

const ctRecord = `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROANW4S2KT7IL2E364A9:i-0a1b2c3d4e5f67890","arn":"arn:aws:sts::111122223333:assumed-role/Admin/i-0a1b2c3d4e5f67890","accountId":"111122223333","accessKeyId":"ASIAFM8S9OH4FTTN972G","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAXKWVLMDGRVGFC8A3L","arn":"arn:aws:iam::111122223333:role/Admin","accountId":"111122223333","userName":"Admin"},"webIdFederationData":{},"attributes":{"creationDate":"2024-11-18T07:12:33Z","mfaAuthenticated":"false"}}},"eventTime":"2024-11-19T00:04:10Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"ap-southeast-2","sourceIPAddress":"203.0.113.191","userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off command/ec2.describe-instances","requestParameters":{"instancesSet":{},"filterSet":{"items":[{"name":"instance-state-name","valueSet":{"items":[{"value":"running"}]}}]}},"responseElements":null,"requestID":"782a9b11-7667-4156-b7b1-9d79784879bd","eventID":"da8a4803-d250-4249-885d-9c3f6d299216","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.ap-southeast-2.amazonaws.com"},"n":1234.5}`

// cloudTrailDoc streams a CloudTrail document of n records into w.
func cloudTrailDoc(w io.Writer, n int) error {
	if _, err := io.WriteString(w, `{"Records":[`); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		sep := ","
		if i == 0 {
			sep = ""
		}
		if _, err := io.WriteString(w, sep+ctRecord); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]}")
	return err
}

// TestCloudTrailBoundedMemory decodes a ~200 MB CloudTrail document that
// is generated on the fly and never held whole, and checks that the heap
// stays small.
func TestCloudTrailBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	n := 200 << 20 / len(ctRecord)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(cloudTrailDoc(pw, n)) }()
	text, err := Open("big.json", pr)
	if err != nil {
		t.Fatal(err)
	}
	defer text.Close()
	var maxHeap uint64
	var ms runtime.MemStats
	count := 0
	err = Events("cloudtrail", "big.json", text, Options{}, func(o *pyjson.Object) error {
		count++
		if count%20000 == 0 {
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("%d events, want %d", count, n)
	}
	if maxHeap > 64<<20 {
		t.Errorf("heap reached %d MB while decoding", maxHeap>>20)
	}
	t.Logf("%d records, max heap %d MB", n, maxHeap>>20)
}

func BenchmarkCloudTrailGzip(b *testing.B) {
	const n = 20000
	var raw bytes.Buffer
	cloudTrailDoc(&raw, n)
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	zw.Write(raw.Bytes())
	zw.Close()
	b.SetBytes(int64(raw.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		text, err := Open("a.json.gz", bytes.NewReader(body.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		if err := Events("cloudtrail", "a.json.gz", text, Options{}, func(*pyjson.Object) error { return nil }); err != nil {
			b.Fatal(err)
		}
		text.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}

func benchLines(b *testing.B, typ, line string) {
	const n = 50000
	data := strings.Repeat(line+"\n", n)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		text, _ := Open("a.log", strings.NewReader(data))
		if err := Events(typ, "a.log", text, Options{}, func(*pyjson.Object) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkVPC(b *testing.B) {
	benchLines(b, "vpcflow", "2 123456789012 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
}

func BenchmarkALB(b *testing.B) { benchLines(b, "alb", albLine) }

func ExampleEvents() {
	text, _ := Open("AWSLogs/x.log", strings.NewReader("2 1 eni-1 a b 1 2 6 1 40 0 60 ACCEPT OK\n"))
	defer text.Close()
	Events("vpcflow", "AWSLogs/x.log", text, Options{}, func(o *pyjson.Object) error {
		v, _ := o.Get("end")
		fmt.Println(v)
		return nil
	})
	// Output: 1970-01-01T00:01:00Z
}
