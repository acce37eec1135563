package bucket

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/event"
	"github.com/wazuh/aws-s3-go/core/kind"
	"github.com/wazuh/aws-s3-go/core/layout"
	"github.com/wazuh/aws-s3-go/core/logging/logtest"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// A CloudTrail object whose records take the fast path and the tree path
// in turn gives the events and the debug lines the tree path alone gives,
// in the same order.
func TestDecodeBodyFastPath(t *testing.T) {
	records := []string{
		`{"eventVersion":"1.08","sourceIPAddress":"203.0.113.10","requestParameters":{"bucketName":"b","x":null},"responseElements":null,"resources":[{"ARN":"arn:aws:s3:::b"}]}`,
		`{"a":1,"a":2}`, // a repeated key: tree path
		`{"eventName":"RunInstances","requestParameters":{"disableApiTermination":true}}`,
		`{"requestParameters":{"disableApiTermination":"x"}}`, // a warning: tree path
		`{"sourceIPAddress":"lambda.amazonaws.com","tags":"t"}`,
		`[["k","v"]]`, // dict() of a list: tree path
	}
	doc := `{"Records":[` + strings.Join(records, ",") + `]}`
	k, _ := kind.Lookup("cloudtrail")
	key := "AWSLogs/123456789012/CloudTrail/us-east-1/2024/11/19/x.json"
	account := "123456789012"

	// What the tree path does for each record (decodeBody's callback).
	treeLog := &logtest.Recorder{}
	tb := &event.Builder{Type: "cloudtrail", Bucket: "bkt", Alias: "alias", Log: treeLog}
	var want []string
	for _, rec := range records {
		v, err := pyjson.Unmarshal([]byte(rec))
		if err != nil {
			t.Fatal(err)
		}
		o, ok := v.(*pyjson.Object)
		if !ok {
			o = pyjson.NewObject(1)
			o.Set("k", "v")
		}
		o.Set("source", "cloudtrail")
		treeLog.Debug(3, noDiscardLine)
		msgs, err := tb.Messages(key, account, o)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := event.Encode(msgs[0])
		want = append(want, string(data))
	}

	log := &logtest.Recorder{}
	r := &run{
		t:       config.Target{Bucket: "bkt"},
		lay:     layout.Layout{Kind: k},
		builder: &event.Builder{Type: "cloudtrail", Bucket: "bkt", Alias: "alias", Log: log},
	}
	var budget atomic.Int64
	o := &object{unit: &unit{account: account}, key: key, out: make(chan [][]byte, 8)}
	e := &emitter{ctx: context.Background(), o: o, limit: 1 << 20, budget: &budget, maxHeld: 1 << 20}
	err := r.decodeBody(o, strings.NewReader(doc), log, r.builder, e)
	e.finish(err)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for b := range o.out {
		for _, ev := range b {
			got = append(got, string(ev))
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if log.Text() != treeLog.Text() {
		t.Errorf("log:\n%s\nwant:\n%s", log.Text(), treeLog.Text())
	}
	if n := strings.Count(log.Text(), "Could not reformat"); n != 1 {
		t.Errorf("%d reformat warnings, want 1", n)
	}
}
