package subscriber

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wazuh/aws-s3-go/core/awsclient"
)

// DefaultVisibility is the visibility timeout assumed when the queue's own
// cannot be read (SQS's default for a new queue).
const DefaultVisibility = 30 * time.Second

// queueAttrTimeout bounds the GetQueueAttributes call of a run's start.
const queueAttrTimeout = 10 * time.Second

// maxHeartbeatCall bounds one visibility extension: a call slower than
// that is as good as lost, and the next beat retries.
const maxHeartbeatCall = 10 * time.Second

// queueSettings reads the queue's visibility timeout, which the heartbeat
// follows, and whether a dead-letter queue catches messages that keep
// failing. The agent's IAM policy may not allow sqs:GetQueueAttributes:
// then the configured or default timeout is used and the run goes on.
func (r *run) queueSettings(ctx context.Context) {
	r.visibility = r.env.Visibility
	if r.visibility > 0 {
		return
	}
	r.visibility = DefaultVisibility
	actx, cancel := context.WithTimeout(ctx, queueAttrTimeout)
	defer cancel()
	out, err := r.sqs.GetQueueAttributes(actx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(r.url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameVisibilityTimeout, sqstypes.QueueAttributeNameRedrivePolicy},
	})
	if err != nil {
		r.log.Debug(1, fmt.Sprintf("+++ Could not read the attributes of the SQS queue %s (%s); assuming a visibility timeout of %v.", r.t.Queue, awsclient.ClientError(err), DefaultVisibility))
		return
	}
	if s, err := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameVisibilityTimeout)]); err == nil {
		r.visibility = time.Duration(s) * time.Second
	}
	if out.Attributes[string(sqstypes.QueueAttributeNameRedrivePolicy)] == "" {
		r.log.Debug(1, fmt.Sprintf("+++ The SQS queue %s has no dead-letter queue: a message that keeps failing is received again and again.", r.t.Queue))
	}
	r.log.Debug(2, fmt.Sprintf("+++ Visibility timeout of the SQS queue: %v", r.visibility))
}

// beat is how often the visibility of in-flight messages is extended: a
// third of the timeout (Filebeat's aws-s3 input uses half), so that one
// late or lost extension still leaves time for the next before the
// message shows again. 0 means no heartbeat (a timeout under three seconds
// leaves no room for it).
func (r *run) beat() time.Duration {
	if r.visibility < 3*time.Second {
		return 0
	}
	return r.visibility / 3
}

// inflight is the messages of one batch that are still being processed,
// with how long each is known to stay hidden from other consumers. Safe
// for concurrent use.
type inflight struct {
	mu     sync.Mutex
	msgs   map[string]sqstypes.Message // by MessageId
	hidden map[string]hidden           // by MessageId
}

// hidden is what this agent can prove about a message's invisibility:
// until when it lasts at least, and the longest time it may have been
// visible to other consumers meanwhile.
type hidden struct {
	until time.Time
	gap   time.Duration
}

// newInflight returns the set of msgs, hidden from other consumers until
// at least until.
func newInflight(msgs []sqstypes.Message, until time.Time) *inflight {
	f := &inflight{msgs: make(map[string]sqstypes.Message, len(msgs)), hidden: make(map[string]hidden, len(msgs))}
	for _, m := range msgs {
		id := aws.ToString(m.MessageId)
		f.msgs[id], f.hidden[id] = m, hidden{until: until}
	}
	return f
}

// done takes m out of the set: its fate is settled (deleted, or left to
// its visibility timeout and the queue's redrive policy).
func (f *inflight) done(m sqstypes.Message) { f.settle(m) }

// settle is done, returning what is known of m's invisibility (zero if m
// was not in the set).
func (f *inflight) settle(m sqstypes.Message) hidden {
	id := aws.ToString(m.MessageId)
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hidden[id]
	delete(f.msgs, id)
	delete(f.hidden, id)
	return h
}

// extend records that SQS extended the visibility of msgs to d by a call
// sent at asked and answered at answered. SQS applied it somewhere in
// between: it is certain to have kept a message hidden only when the
// answer came before the message's previous deadline; otherwise the
// message may have been visible until the answer.
func (f *inflight) extend(msgs []sqstypes.Message, d time.Duration, asked, answered time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range msgs {
		id := aws.ToString(m.MessageId)
		h, ok := f.hidden[id]
		if !ok {
			continue
		}
		h.gap = max(h.gap, answered.Sub(h.until))
		h.until = asked.Add(d)
		f.hidden[id] = h
	}
}

// lapse is the longest time m may have been visible to other consumers
// while this agent held it, judged at now: 0 if none.
func (h hidden) lapse(now time.Time) time.Duration {
	if h.until.IsZero() {
		return 0
	}
	return max(h.gap, now.Sub(h.until), 0)
}

func (f *inflight) list() []sqstypes.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]sqstypes.Message, 0, len(f.msgs))
	for _, m := range f.msgs {
		out = append(out, m)
	}
	return out
}

// heartbeat keeps the messages of f invisible to other consumers while
// they are processed, until ctx ends: a slow object must not make its
// message visible again and have a second agent send its events too.
func (r *run) heartbeat(ctx context.Context, f *inflight) {
	every := r.beat()
	if every == 0 {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if msgs := f.list(); len(msgs) > 0 {
			asked := time.Now()
			changed := r.changeVisibility(ctx, msgs, r.visibility, min(every, maxHeartbeatCall))
			f.extend(changed, r.visibility, asked, time.Now())
		}
	}
}

// changeVisibility sets the visibility timeout of msgs (at most
// MaxMessages) to d from now, and returns those SQS changed. Failures are
// logged: they only cost the time until the message is visible again.
func (r *run) changeVisibility(ctx context.Context, msgs []sqstypes.Message, d, limit time.Duration) []sqstypes.Message {
	entries := make([]sqstypes.ChangeMessageVisibilityBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = sqstypes.ChangeMessageVisibilityBatchRequestEntry{
			Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: int32(d / time.Second),
		}
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	out, err := r.sqs.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(r.url), Entries: entries})
	what := "extend the visibility of"
	if d == 0 {
		what = "return to the queue"
	}
	if err != nil {
		if ctx.Err() == nil {
			r.log.Debug(1, fmt.Sprintf("+++ Could not %s %d SQS messages: %s", what, len(entries), awsclient.ClientError(err)))
		}
		return nil
	}
	failed := make([]bool, len(msgs))
	for _, f := range out.Failed {
		i, _ := strconv.Atoi(aws.ToString(f.Id))
		if i >= 0 && i < len(msgs) {
			failed[i] = true
			r.log.Debug(1, fmt.Sprintf("+++ Could not %s the SQS message %s: %s", what, aws.ToString(msgs[i].MessageId), aws.ToString(f.Message)))
		}
	}
	var changed []sqstypes.Message
	for i, m := range msgs {
		if !failed[i] {
			changed = append(changed, m)
		}
	}
	return changed
}

// receiveCount is how many times SQS delivered m ("?" when not known).
func receiveCount(m sqstypes.Message) string {
	if n, ok := m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)]; ok {
		return n
	}
	return "?"
}
