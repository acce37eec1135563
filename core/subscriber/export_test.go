package subscriber

import (
	"io"
	"strings"
	"testing"

	"github.com/wazuh/aws-s3-go/core/decode"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// MotoForTest starts moto_server for an external test and returns its URL
// and a function that puts an object and queues its notification in the
// queue name (created on first use).
func MotoForTest(t *testing.T) (url string, notify func(queue, bucket, key string, body []byte)) {
	m := startMoto(t)
	queues := map[string]string{}
	buckets := map[string]bool{}
	return m.url, func(queue, bucket, key string, body []byte) {
		if !buckets[bucket] {
			m.bucket(t, bucket)
			buckets[bucket] = true
		}
		if queues[queue] == "" {
			queues[queue] = m.queue(t, queue, 60)
		}
		m.put(t, bucket, key, body)
		m.send(t, queues[queue], notification(bucket, key))
	}
}

// bucketEvents runs the first pass of a buckets object over text, with
// the default limits, and returns the events it keeps.
func bucketEvents(key, text string, log logging.Logger) ([]*pyjson.Object, error) {
	var out []*pyjson.Object
	_, err := bucketPlan(key, textOpener(text), defaultLimits(), log, func(o *pyjson.Object) error {
		out = append(out, o)
		return nil
	}, func() { out = nil })
	return out, err
}

// securityHubText parses a security_hub object's text.
func securityHubText(text string) ([]*pyjson.Object, error) {
	var out []*pyjson.Object
	err := plan{format: securityHubFormat, lim: defaultLimits()}.run(textOpener(text), func(o *pyjson.Object) error {
		out = append(out, o)
		return nil
	})
	return out, err
}

func textOpener(text string) opener {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }
}

func defaultLimits() decode.Limits { return (&run{}).limits() }
