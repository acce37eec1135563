package subscriber

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wazuh/aws-s3-go/core/awsclient"
	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/decode"
	"github.com/wazuh/aws-s3-go/core/event"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
	"github.com/wazuh/aws-s3-go/core/send"
)

// releaseTimeout bounds the calls that hand unprocessed messages back to
// the queue when a run stops.
const releaseTimeout = 5 * time.Second

// sqsCallTimeout bounds an SQS call beyond its long poll: an endpoint that
// stopped answering ends the run instead of hanging it.
const sqsCallTimeout = 15 * time.Second

// run is the state of one subscriber run.
type run struct {
	t       config.Target
	env     Env
	log     logging.Logger
	clients *awsclient.Clients
	sqs     *sqs.Client
	url     string
	// visibility is the queue's visibility timeout, which the heartbeat
	// renews for messages in flight.
	visibility time.Duration
	// sending is held while one object's events go to the sink, so that
	// the events of an object stay together among concurrent messages.
	sending sync.Mutex

	s3mu      sync.Mutex
	s3        map[string]*s3.Client // per bucket, in the bucket's region
	mu        sync.Mutex            // guards kept
	discard   *event.Discard
	lineRegex *regexp.Regexp // the configured discard_regex, for plain-text lines
	// kept holds the messages this run left in the queue (failed, or not
	// notifications): when they come back after their visibility timeout
	// the same run does not take them again, and a receive that brings
	// only such messages ends the run.
	kept map[string]bool

	pathOnce sync.Once
	out      *send.Path
}

// DefaultWorkers is how many messages of a batch are processed at once
// when Env.Options.Workers is 0: as many as the engine fetches bucket objects.
const DefaultWorkers = 8

// route is one object a notification points to.
type route struct{ bucket, key string }

// objectError is the failure of one notified object (download or parse):
// with skip_on_error the run goes on and the message stays in the queue.
type objectError struct{ err error }

func (e *objectError) Error() string { return e.err.Error() }
func (e *objectError) Unwrap() error { return e.err }

func (r *run) wait() int32 {
	switch {
	case r.env.Wait < 0:
		return 0
	case r.env.Wait == 0:
		return int32(DefaultWait / time.Second)
	}
	return int32((r.env.Wait + time.Second - 1) / time.Second)
}

// loop receives batches until one brings nothing new.
func (r *run) loop(ctx context.Context) error {
	r.queueSettings(ctx)
	for {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		r.log.Debug(2, "Retrieving messages from: "+r.t.Queue)
		rctx, cancel := context.WithTimeout(ctx, time.Duration(r.wait())*time.Second+sqsCallTimeout)
		asked := time.Now()
		out, err := r.sqs.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(r.url),
			MaxNumberOfMessages:         MaxMessages,
			WaitTimeSeconds:             r.wait(),
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount},
		})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return awsclient.Errorf(awsclient.Queue, err, "Error receiving message from SQS: %s", awsclient.ClientError(err))
		}
		var fresh []sqstypes.Message
		for _, m := range out.Messages {
			if !r.isKept(m) {
				fresh = append(fresh, m)
			}
		}
		if len(fresh) == 0 {
			// Empty, or only messages this run already left (a visibility
			// timeout shorter than the run): done.
			return nil
		}
		if err := r.batch(ctx, fresh, asked); err != nil {
			return err
		}
	}
}

// batch processes the messages of one receive, up to workers at once,
// while a heartbeat keeps those not yet settled invisible to other
// consumers. It returns the first error that ends the run: the messages
// then in flight finish (their events are not sent twice), those not
// started are handed back to the queue, and the failed one stays
// invisible until its timeout. asked is when the receive that brought msgs
// was sent: their visibility timeout started after it.
func (r *run) batch(ctx context.Context, msgs []sqstypes.Message, asked time.Time) error {
	fl := newInflight(msgs, asked.Add(r.visibility))
	hbctx, stopBeat := context.WithCancel(ctx)
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		r.heartbeat(hbctx, fl)
	}()
	defer func() { stopBeat(); <-beating }()

	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return first != nil }
	sem := make(chan struct{}, r.workers())
	for _, m := range msgs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil || failed() {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := r.process(ctx, m, fl)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		r.release(ctx, fl.list())
		return context.Cause(ctx)
	}
	if first != nil {
		r.release(ctx, fl.list())
	}
	return first
}

// workers is how many messages of a batch are processed at once.
func (r *run) workers() int {
	if r.env.Options.Workers > 0 {
		return r.env.Options.Workers
	}
	return DefaultWorkers
}

// process handles one message and settles its fate in fl. It returns an
// error only when the run must end; a message stopped by ctx stays in fl
// to be handed back at once.
func (r *run) process(ctx context.Context, m sqstypes.Message, fl *inflight) (err error) {
	defer func() {
		if v := recover(); v != nil {
			// The message stays in the queue; the host lives on.
			fl.done(m)
			err = fmt.Errorf("internal error (please report) processing the SQS message %s: %v", aws.ToString(m.MessageId), v)
		}
	}()
	err = r.handle(ctx, m, fl)
	if err == nil {
		fl.done(m) // deleted, or left in the queue as not a notification
		return nil
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	fl.done(m)
	var oe *objectError
	if !errors.As(err, &oe) || !r.t.SkipOnError {
		r.log.Debug(1, fmt.Sprintf("+++ The SQS message %s (received %s times) stays in the queue.", aws.ToString(m.MessageId), receiveCount(m)))
		return err
	}
	r.keep(m)
	r.log.Debug(1, "++ "+err.Error()+"; skipping...")
	r.log.Error(fmt.Sprintf("%s; the SQS message was left in the queue and will be delivered again (received %s times so far).", err.Error(), receiveCount(m)))
	return nil
}

// release makes messages this run received but will not process visible
// again at once, so that another agent takes them without waiting for the
// visibility timeout. Failures only cost that wait.
func (r *run) release(ctx context.Context, msgs []sqstypes.Message) {
	var back []sqstypes.Message
	for _, m := range msgs {
		if !r.isKept(m) {
			back = append(back, m)
		}
	}
	if len(back) == 0 {
		return
	}
	r.changeVisibility(context.WithoutCancel(ctx), back, 0, releaseTimeout)
}

// handle processes one message: its objects' events are sent, then the
// message is deleted. A message that is not an S3 notification is left in
// the queue, as by the reference.
func (r *run) handle(ctx context.Context, m sqstypes.Message, fl *inflight) error {
	body := aws.ToString(m.Body)
	v, err := pyjson.Unmarshal([]byte(body))
	if err != nil {
		r.log.Debug(2, fmt.Sprintf("Processed message %s does not contain the expected format, omitting message.", repr(body)))
		r.keep(m)
		return nil
	}
	r.log.Debug(2, "The message is: "+repr(v))
	var rts []route
	var ok bool
	if r.t.Type == "security_lake" {
		var rt route
		rt, ok = lakeRoute(v)
		rts = []route{rt}
	} else {
		rts, ok = routes(v)
	}
	if !ok {
		if isTestEvent(v) {
			// Sent once by S3 when notifications are configured; it names
			// no object, and left in the queue it would come back forever.
			r.log.Debug(2, "+++ Deleting the S3 test event.")
			fl.done(m)
			return r.delete(ctx, m)
		}
		r.omit(v)
		r.keep(m)
		return nil
	}
	for _, rt := range rts {
		if err := r.object(ctx, rt); err != nil {
			if errors.Is(err, errSkipMessage) {
				r.omit(v)
				r.keep(m)
				return nil
			}
			return err
		}
	}
	// Out of the heartbeat first: an extension racing the delete would
	// only fail.
	h := fl.settle(m)
	if err := r.delete(ctx, m); err != nil {
		return err
	}
	// SQS applied the delete before it answered: judged now.
	r.lapsed(m, rts, h.lapse(time.Now()))
	return nil
}

// lapsed warns when m may have been visible to other consumers for over
// before it was deleted (the heartbeat's extensions failed or were answered
// late: SQS or the network was too slow): another agent may then have
// received it and sent the same events. SQS delivers at least once; this says when "more than
// once" may have happened, and for which objects.
func (r *run) lapsed(m sqstypes.Message, rts []route, over time.Duration) {
	if over <= 0 {
		return
	}
	keys := make([]string, 0, min(len(rts), 3))
	for _, rt := range rts[:min(len(rts), 3)] {
		keys = append(keys, rt.key)
	}
	more := ""
	if len(rts) > len(keys) {
		more = fmt.Sprintf(" and %d more", len(rts)-len(keys))
	}
	r.log.Warning(fmt.Sprintf("The SQS message %s (objects %s%s) may have been visible to other agents for %.1f s before it was deleted (its visibility was not extended in time): another agent may have received it and sent its events too.",
		aws.ToString(m.MessageId), strings.Join(keys, ", "), more, over.Seconds()))
}

func (r *run) keep(m sqstypes.Message) {
	r.mu.Lock()
	r.kept[aws.ToString(m.MessageId)] = true
	r.mu.Unlock()
}

func (r *run) isKept(m sqstypes.Message) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kept[aws.ToString(m.MessageId)]
}

func (r *run) omit(v pyjson.Value) {
	raw := pyjson.NewObject(1)
	raw.Set("raw_message", v)
	r.log.Debug(2, fmt.Sprintf("Processed message %s does not contain the expected format, omitting message.", repr(raw)))
}

func (r *run) delete(ctx context.Context, m sqstypes.Message) error {
	// Every event was accepted: a stop now must not have the message sent
	// again by another agent, so the delete outlives it (briefly).
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_, err := r.sqs.DeleteMessage(dctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(r.url), ReceiptHandle: m.ReceiptHandle})
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return awsclient.Errorf(awsclient.Queue, err, "Error deleting message from SQS: %s", awsclient.ClientError(err))
	}
	r.log.Debug(2, "Message deleted from queue: "+r.t.Queue)
	return nil
}

// routes returns the objects of an S3 event notification: every record's
// s3.bucket.name and s3.object.key, the key URL-decoded. ok is false when
// the message does not have that shape.
func routes(v pyjson.Value) (rts []route, ok bool) {
	recs, _ := get(v, "Records").([]pyjson.Value)
	if len(recs) == 0 {
		return nil, false
	}
	for _, rec := range recs {
		s3v := get(rec, "s3")
		bucket, ok1 := get(get(s3v, "bucket"), "name").(string)
		key, ok2 := get(get(s3v, "object"), "key").(string)
		if !ok1 || !ok2 {
			return nil, false
		}
		rts = append(rts, route{bucket: bucket, key: unquotePlus(key)})
	}
	return rts, true
}

func isTestEvent(v pyjson.Value) bool {
	e, _ := get(v, "Event").(string)
	return e == "s3:TestEvent"
}

// get is v[k] for an object, nil otherwise.
func get(v pyjson.Value, k string) pyjson.Value {
	if o, ok := v.(*pyjson.Object); ok && o != nil {
		x, _ := o.Get(k)
		return x
	}
	return nil
}

// s3For returns a client in the bucket's region.
func (r *run) s3For(ctx context.Context, bucket string) *s3.Client {
	r.s3mu.Lock()
	defer r.s3mu.Unlock()
	c, ok := r.s3[bucket]
	if !ok {
		c = r.clients.S3ForBucket(ctx, bucket)
		r.s3[bucket] = c
	}
	return c
}

// countingReader counts the compressed bytes read from S3.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// object fetches, parses and sends one notified object. Like the
// reference, an object is parsed whole before any of its events is sent,
// so nothing of an object that fails reaches the queue (Security Lake
// objects excepted: lakeObject sends rows as it decodes). See stream.go
// for how memory stays bounded.
func (r *run) object(ctx context.Context, rt route) error {
	if r.t.Type == "security_lake" {
		return r.lakeObject(ctx, rt)
	}
	out, err := r.s3For(ctx, rt.bucket).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(rt.bucket), Key: aws.String(rt.key)})
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return &objectError{fmt.Errorf("Could not get the object %s in bucket %s: %s", rt.key, rt.bucket, awsclient.ClientError(err))}
	}
	body := &countingReader{r: out.Body}
	ra, size, release, err := spool(body, r.parquetMemory(), r.env.TempDir)
	out.Body.Close()
	r.env.Stats.Bytes.Add(body.n)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return &objectError{fmt.Errorf("Could not get the object %s in bucket %s: %s", rt.key, rt.bucket, awsclient.ClientError(err))}
	}
	defer release()
	opener := decode.Opener{ZipMemory: r.parquetMemory(), TempDir: r.env.TempDir}
	open := func() (io.ReadCloser, error) {
		return opener.Open(rt.key, ctxReader{ctx, io.NewSectionReader(ra, 0, size)})
	}

	// First pass: validate, holding the encoded events while they fit.
	h := &held{max: r.heldMemory()}
	hold := func(ev *pyjson.Object) error {
		if h.over {
			return nil // only validating now
		}
		h.seen++
		if data, ok := r.prepare(rt, ev); ok {
			h.add(data)
		}
		return nil
	}
	var p plan
	if r.t.Type == "security_hub" {
		p = plan{format: securityHubFormat, lim: r.limits()}
		err = p.run(open, hold)
	} else {
		p, err = bucketPlan(rt.key, open, r.limits(), r.log, hold, h.reset)
	}
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return contentError(rt, open, err)
	}

	r.sending.Lock()
	defer r.sending.Unlock()
	for i, data := range h.data {
		h.data[i] = nil
		if err := r.emit(ctx, data); err != nil {
			return err
		}
	}
	if h.over {
		// Second pass over the same local copy, past the events held.
		var sendErr error
		n := 0
		err := p.run(open, func(ev *pyjson.Object) error {
			if n++; n <= h.seen {
				return nil
			}
			if data, ok := r.prepare(rt, ev); ok {
				sendErr = r.emit(ctx, data)
			}
			return sendErr
		})
		switch {
		case sendErr != nil:
			return sendErr
		case ctx.Err() != nil:
			return context.Cause(ctx)
		case err != nil:
			// The first pass read this copy through: only the local disk
			// can fail here.
			return &objectError{fmt.Errorf("Failed to read again the local copy of the object %s in bucket %s: %w", rt.key, rt.bucket, err)}
		}
	}
	r.env.Stats.Objects.Add(1)
	return nil
}

// held is one object's encoded events kept back until the whole object
// is known to be valid, up to max bytes.
type held struct {
	max, n int64
	data   [][]byte
	seen   int  // events parsed (kept or filtered out) into data
	over   bool // data is full: the events after seen are not kept
}

// add keeps one event; the budget is passed by at most that event.
func (h *held) add(data []byte) {
	h.data = append(h.data, data)
	if h.n += int64(len(data)); h.n >= h.max {
		h.over = true
	}
}

// reset forgets everything: the text is read again in another format.
func (h *held) reset() { *h = held{max: h.max} }

// heldMemory is one worker's share of the run's held events.
func (r *run) heldMemory() int64 {
	total := r.env.HeldMemory
	if total <= 0 {
		total = DefaultHeldMemory
	}
	return max(total/int64(r.workers()), 1)
}

// contentError is the failure of an object whose text is wrong. As the
// reference read the whole text before parsing, a broken stream
// (decompression, UTF-8) is reported rather than what the parser found
// before it; not after a limit, since the rest of a hostile object can be
// gigabytes.
func contentError(rt route, open opener, err error) error {
	var (
		de *decode.Error
		le *limitError
		pe *parseError
	)
	if errors.As(err, &de) {
		return &objectError{err}
	}
	if !errors.As(err, &le) {
		derr := withText(open, func(t io.Reader) error {
			_, err := io.Copy(io.Discard, t)
			return err
		})
		if errors.As(derr, &de) {
			return &objectError{derr}
		}
	}
	switch {
	case errors.Is(err, errSkipMessage):
		return err
	case le != nil:
		return &objectError{&decode.Error{Key: rt.key, Class: decode.Parse, Detail: "LimitError(" + pyjson.ReprString(le.msg) + ")"}}
	case errors.As(err, &pe):
		return &objectError{&decode.Error{Key: rt.key, Class: decode.Parse, Detail: pe.msg}}
	}
	return &objectError{fmt.Errorf("Unknown error reading/parsing file %s: %w", rt.key, err)}
}

// prepare filters one event and encodes its message; ok is false for an
// event the filters discard.
func (r *run) prepare(rt route, ev *pyjson.Object) (data []byte, ok bool) {
	pruneNone(ev)
	if v, ok := ev.Get("full_log"); ok && r.t.Type == "buckets" {
		// A line of a plain-text object: only the regex applies.
		if r.lineRegex != nil {
			s, _ := v.(string)
			if r.lineRegex.MatchString(s) {
				r.log.Debug(2, `+++ The "`+r.t.DiscardRegex+`" regex found a match. The event will be skipped.`)
				return nil, false
			}
			r.log.Debug(3, `+++ The "`+r.t.DiscardRegex+`" regex did not find a match. The event will be processed.`)
		}
	} else if r.discard.Skip(ev, r.log) {
		return nil, false
	}
	return r.path().Encode(message(rt.bucket, rt.key, ev), "the object "+rt.key), true
}

// emit hands one encoded event to the sink.
func (r *run) emit(ctx context.Context, data []byte) error {
	return r.path().Event(ctx, data)
}

// path is the run's send path, made on first use.
func (r *run) path() *send.Path {
	r.pathOnce.Do(func() { r.out = send.New(r.env.Sink, r.log, &r.env.Stats.Events) })
	return r.out
}
