package event

import (
	"testing"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

const benchRecord = `{"eventVersion": "1.08", "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:session", "arn": "arn:aws:sts::123456789012:assumed-role/Admin/session", "accountId": "123456789012", "accessKeyId": "ASIAEXAMPLE", "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": "arn:aws:iam::123456789012:role/Admin", "accountId": "123456789012", "userName": "Admin"}, "webIdFederationData": {}, "attributes": {"creationDate": "2024-11-19T10:00:00Z", "mfaAuthenticated": "false"}}}, "eventTime": "2024-11-19T10:05:00Z", "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.run-instances", "requestParameters": {"instancesSet": {"items": [{"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": 1}]}, "instanceType": "t3.micro", "disableApiTermination": false, "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [{"key": "Name", "value": "web"}]}]}}, "responseElements": {"requestId": "1b2c3d4e-1111-2222-3333-444455556666", "reservationId": "r-0123456789abcdef0", "ownerId": "123456789012", "instancesSet": {"items": [{"instanceId": "i-0123456789abcdef0", "imageId": "ami-0abcdef1234567890", "instanceState": {"code": 0, "name": "pending"}, "privateIpAddress": "10.0.1.23"}]}}, "requestID": "1b2c3d4e-1111-2222-3333-444455556666", "eventID": "9a8b7c6d-aaaa-bbbb-cccc-ddddeeeeffff", "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "123456789012", "eventCategory": "Management", "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "ec2.us-east-1.amazonaws.com"}, "source": "cloudtrail"}`

// BenchmarkMessagesEncode measures envelope + CloudTrail reformat + Encode
// for a typical record (the record is cloned per iteration, as Messages
// consumes it; the clone is part of the measured time).
func BenchmarkMessagesEncode(b *testing.B) {
	rec := obj(b, benchRecord)
	bl := &Builder{Type: "cloudtrail", Bucket: "wazuh-cloudtrail-logs"}
	key := "AWSLogs/123456789012/CloudTrail/us-east-1/2024/11/19/123456789012_CloudTrail_us-east-1_20241119T0005Z_abc.json.gz"
	d := NewDiscard("", "", nil)
	var log recLog
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		ev := rec.Clone()
		if d.Skip(ev, &log) {
			b.Fatal("skipped")
		}
		msgs, err := bl.Messages(key, "123456789012", ev)
		if err != nil {
			b.Fatal(err)
		}
		data, _ := Encode(msgs[0])
		size = len(data)
	}
	b.SetBytes(int64(size))
}

// BenchmarkClone is the cost of the per-iteration clone above, to subtract.
func BenchmarkClone(b *testing.B) {
	rec := obj(b, benchRecord)
	b.ReportAllocs()
	var sink *pyjson.Object
	for b.Loop() {
		sink = rec.Clone()
	}
	_ = sink
}
