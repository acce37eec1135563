package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
)

// Saw notes that an object last modified at modified was processed, so the
// summary can name the newest one and how far behind now it is.
func (s *Stats) Saw(key string, modified time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.newestKey == "" || modified.After(s.newestAt) || (modified.Equal(s.newestAt) && key > s.newestKey) {
		s.newestKey, s.newestAt = key, modified
	}
}

// Newest returns the newest object Saw was told about since the latest
// run started ("" if none).
func (s *Stats) Newest() (key string, modified time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newestKey, s.newestAt
}

func (s *Stats) resetNewest() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.newestKey, s.newestAt = "", time.Time{}
}

// counts is a snapshot of Stats.
type counts struct {
	objects, events, bytes, delivered, skipped int64
	newestKey                                  string
	newestAt                                   time.Time
}

func (s *Stats) counts() counts {
	c := counts{objects: s.Objects.Load(), events: s.Events.Load(), bytes: s.Bytes.Load(),
		delivered: s.Delivered.Load(), skipped: s.Skipped.Load()}
	c.newestKey, c.newestAt = s.Newest()
	return c
}

// minus is what the counters gained since before.
func (c counts) minus(before counts) counts {
	c.objects -= before.objects
	c.events -= before.events
	c.bytes -= before.bytes
	c.delivered -= before.delivered
	c.skipped -= before.skipped
	return c
}

// summary is the INFO line that ends every target's run, in every mode:
// what an operator needs to see that the collector keeps up, without
// turning debug on.
func summary(t config.Target, c counts, took time.Duration, now time.Time, code int) string {
	var b strings.Builder
	switch t.Kind {
	case config.KindBucket:
		fmt.Fprintf(&b, "Bucket %s (%s)", t.Bucket, t.Type)
	case config.KindService:
		fmt.Fprintf(&b, "Service %s", t.Type)
	case config.KindSubscriber:
		fmt.Fprintf(&b, "Subscriber %s (%s)", t.Type, t.Queue)
	default:
		fmt.Fprintf(&b, "Target %s", t.Type)
	}
	fmt.Fprintf(&b, " run: %d objects, %d events, %d bytes read, %d bytes delivered in %.2f s",
		c.objects, c.events, c.bytes, c.delivered, took.Seconds())
	if c.newestKey != "" {
		fmt.Fprintf(&b, "; newest object %s, %s behind", c.newestKey, lag(now.Sub(c.newestAt)))
	} else {
		b.WriteString("; no new object")
	}
	fmt.Fprintf(&b, "; %d errors skipped", c.skipped)
	if code != 0 {
		fmt.Fprintf(&b, "; exit code %d", code)
	}
	return b.String()
}

// lag renders how far behind now an object is: to the second under two
// days, in days and hours past that.
func lag(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < 48*time.Hour {
		return d.Round(time.Second).String()
	}
	days := d / (24 * time.Hour)
	return fmt.Sprintf("%dd%dh", days, (d-days*24*time.Hour)/time.Hour)
}
