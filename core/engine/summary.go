package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
)

// counts is a snapshot of Stats.
type counts struct {
	objects, events, bytes, delivered, skipped int64
	newestKey                                  string
	newestAt                                   time.Time
}

func snapshot(s *Stats) counts {
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
