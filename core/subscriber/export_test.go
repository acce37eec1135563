package subscriber

import "testing"

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
