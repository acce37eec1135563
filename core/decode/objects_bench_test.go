package decode_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/wazuh/aws-s3-go/core/decode"
	"github.com/wazuh/aws-s3-go/core/event"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// smallRecord is a CloudTrail record the fast path encodes.
const smallRecord = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"2024-11-19T10:05:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.10","userAgent":"aws-cli/2.15.30","requestParameters":{"bucketName":"demo","key":"file.txt"},"responseElements":null,"requestID":"REQ000001","eventID":"00000001-0000-4000-8000-000000000000","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::demo/file.txt"}]}`

// BenchmarkSmallObjects is bench B's per-object work without the network:
// a gzip CloudTrail object of ten records opened, checked and encoded by
// the fast path, as a worker does for each object.
func BenchmarkSmallObjects(b *testing.B) {
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	zw.Write([]byte(`{"Records":[` + strings.Repeat(smallRecord+",", 9) + smallRecord + `]}`))
	zw.Close()
	bl := &event.Builder{Type: "cloudtrail", Bucket: "bench"}
	const key = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/11/19/111122223333_CloudTrail_us-east-1_20241119T0005Z_abc.json.gz"
	b.ReportAllocs()
	for b.Loop() {
		text, err := decode.Open(key, bytes.NewReader(body.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		enc := bl.NewRawEncoder(key, "111122223333")
		n := 0
		opts := decode.Options{Tokens: enc.Tokens(), RawTokens: func(rec []byte, toks []pyjson.Token) (bool, error) {
			_, ok := enc.EncodeTokens(rec, toks)
			n++
			return ok, nil
		}}
		if err := decode.Events("cloudtrail", key, text, opts, func(*pyjson.Object) error {
			b.Fatal("a record took the tree path")
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		text.Close()
		enc.Release()
		if n != 10 {
			b.Fatalf("%d records", n)
		}
	}
}
