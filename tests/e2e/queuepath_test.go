package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestQueuePathNotSocket: a regular file or a directory where the queue
// socket should be ends the run at once with the send failure's code and
// a message naming the path, instead of waiting for agentd forever.
func TestQueuePathNotSocket(t *testing.T) {
	t.Parallel()
	for what, create := range map[string]func(string) error{
		"a regular file": func(p string) error { return os.WriteFile(p, nil, 0o600) },
		"a directory":    func(p string) error { return os.Mkdir(p, 0o700) },
	} {
		const bucket = "qpath-trail"
		e := newEnv(t, false, bucket)
		l := newLedger(cloudtrail)
		l.upload(e, bucket, "111111111111", "us-east-1", day(20, 1, 0), "a", 2)
		if err := create(queuePath(e.home)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		r := e.run(ctx, e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-20"), day(21, 12, 0))
		cancel()
		want := "sink: connect " + queuePath(e.home) + ": is " + what + ", not a socket"
		if r.code != 13 || !strings.Contains(r.log, want) {
			t.Errorf("%s: exit code %d, want 13 with %q:\n%s", what, r.code, want, r.log)
		}
		if n := len(rows(t, e.dbPath(), "cloudtrail", true)); n != 0 {
			t.Errorf("%s: %d objects recorded although nothing was sent", what, n)
		}
	}
}
