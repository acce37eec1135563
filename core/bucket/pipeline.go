package bucket

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wazuh/aws-s3-go/core/awsclient"
	"github.com/wazuh/aws-s3-go/core/event"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// object is one listed S3 object on its way through the pipeline. Fetches
// read and decode objects concurrently; the sender delivers them strictly
// in listing order, so that rows are committed in key order and the resume
// marker (the greatest recorded key) never passes an unfinished object.
type object struct {
	unit         *unit
	key          string
	lastModified time.Time

	// out carries batches of encoded events. The worker sends the first
	// batch only when the object is fully decoded, or when a first pass
	// over an object too large to hold found it sound: an object that
	// fails to decode sends nothing, as in the reference.
	out  chan [][]byte
	err  error // why decoding stopped; read after out is closed
	held int64 // bytes counted in the run's budget; read after out is closed

	// endOfUnit marks the pseudo-object queued after the last object of
	// an iterated unit: the sender runs the unit's maintenance there.
	endOfUnit bool
}

// batchBytes is the size of the batches a streaming object is cut into.
const batchBytes = 256 << 10

// pipeline runs listing, fetches and the sender of one target run.
type pipeline struct {
	r       *run
	ctx     context.Context
	cancel  context.CancelCauseFunc
	order   chan *object // listing order, to the sender
	work    chan *object // listing order, to the dispatcher
	workers sync.WaitGroup
	held    atomic.Int64 // bytes of events held for the sender (Options.HeldBytes)
	limit   *fetchLimit
}

// maxFetches bounds the objects fetched at once: the HTTP pool keeps that
// many connections to the endpoint.
const maxFetches = awsclient.MaxConnsPerHost

func newPipeline(ctx context.Context, r *run) *pipeline {
	ctx, cancel := context.WithCancelCause(ctx)
	p := &pipeline{
		r:      r,
		ctx:    ctx,
		cancel: cancel,
		order:  make(chan *object, lookahead(maxFetches)),
		work:   make(chan *object, maxFetches),
	}
	// Options.Workers is where the limit starts.
	p.limit = newFetchLimit(r.log, &p.held, int64(r.opts.HeldBytes), r.opts.Workers, maxFetches)
	return p
}

// lookahead is how many objects may be listed ahead of the sender: enough
// to keep every fetch busy while the sender drains the oldest, and the
// listing a page ahead of the fetches.
func lookahead(fetches int) int { return 2 * fetches }

// run lists with list (which calls enqueue), and returns the first error
// that ended the run (nil when everything was delivered and recorded).
func (p *pipeline) run(list func(p *pipeline) error) error {
	p.workers.Add(1)
	go p.dispatch()
	var listErr error
	go func() {
		defer close(p.work)
		defer close(p.order)
		defer p.recoverTo()
		if err := list(p); err != nil {
			listErr = err
			p.cancel(err)
		}
	}()
	sendErr := p.safeSend()
	if sendErr != nil {
		p.cancel(sendErr)
	}
	// Drain so that the lister and the workers can finish.
	for o := range p.order {
		if !o.endOfUnit {
			for range o.out {
			}
		}
	}
	p.workers.Wait()
	p.r.log.Debug(2, p.limit.summary())
	if sendErr != nil {
		return sendErr
	}
	if listErr != nil {
		return listErr
	}
	if cause := context.Cause(p.ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return p.ctx.Err()
}

// dispatch starts one fetch per object, in listing order, each once the
// fetch limit lets it. Starting them in order matters: the sender waits
// for the oldest object, so a later one must never take its place.
func (p *pipeline) dispatch() {
	defer p.workers.Done()
	for o := range p.work {
		epoch, err := p.limit.acquire(p.ctx)
		if err != nil {
			// No fetch will see o: release the sender waiting for it.
			o.err = err
			close(o.out)
			continue
		}
		p.workers.Add(1)
		go func() {
			defer p.workers.Done()
			var waited atomic.Int64 // until the first response's headers
			start := time.Now()
			ctx := awsclient.WithResponseHook(p.ctx, func(status int) {
				waited.CompareAndSwap(0, int64(time.Since(start)))
				if awsclient.IsThrottlingStatus(status) {
					p.limit.throttle(epoch)
				}
			})
			p.r.process(ctx, o, &p.held)
			// Only a fetch that spent most of its time waiting on S3 asks
			// for more company: when decoding is the work, more fetches at
			// once only hold more memory.
			w := time.Duration(waited.Load())
			p.limit.release(o.err == nil && w > 0 && 2*w > time.Since(start), o.held)
		}()
	}
}

// recoverTo turns a panic in a pipeline goroutine into the end of the run.
func (p *pipeline) recoverTo() {
	if v := recover(); v != nil {
		p.cancel(host.PanicError(v))
	}
}

// enqueue hands one object to the fetches and the sender.
func (p *pipeline) enqueue(o *object) error {
	if !o.endOfUnit {
		o.out = make(chan [][]byte, 2)
	}
	select {
	case p.order <- o:
	case <-p.ctx.Done():
		return context.Cause(p.ctx)
	}
	if o.endOfUnit {
		return nil
	}
	select {
	case p.work <- o:
		return nil
	case <-p.ctx.Done():
		// No fetch will see o: release the sender waiting for it.
		o.err = context.Cause(p.ctx)
		close(o.out)
		return o.err
	}
}

// safeSend is send with a panic turned into the run's error, so that the
// lister and the workers are cancelled and drained rather than leaked.
func (p *pipeline) safeSend() (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = host.PanicError(v)
		}
	}()
	return p.send()
}

// send delivers objects in order and records each one once all its events
// were accepted.
func (p *pipeline) send() error {
	for o := range p.order {
		if o.endOfUnit {
			if err := p.r.maintain(o.unit); err != nil {
				return err
			}
			continue
		}
		err := p.r.deliver(p.ctx, o)
		p.held.Add(-o.held)
		p.limit.freed()
		if err != nil {
			return err
		}
	}
	return nil
}

// emitter collects one object's encoded events for the sender.
//
// An object holds its events until it is complete, so that an object that
// fails to decode sends nothing, as in the reference. When its events grow
// past limit, or the run's budget of held bytes is spent, it drops them and
// only validates the rest of the object (the first pass); if the object
// decodes, the worker reads it again and the emitter streams the events in
// batches, at most two batches ahead of the sender (the second pass).
// Memory is therefore bounded by the budget plus two batches per worker,
// whatever the objects.
type emitter struct {
	ctx        context.Context
	o          *object
	limit      int
	budget     *atomic.Int64 // the run's held bytes
	maxHeld    int64
	pending    [][]byte
	size       int
	validating bool // first pass, too large to hold: events are dropped
	streaming  bool // second pass: events go out in batches
	arena      []byte
	n          int // messages added in this pass
	reported   int // messages whose trimming the first pass reported
}

// arenaChunk is the size of the blocks events are encoded into. An
// object's first block is arenaFirst and each next one twice the last, up
// to arenaChunk: a latency-bound run has a hundred small objects in
// flight, and a whole chunk each was a fifth of what it allocated.
const (
	arenaChunk = 64 << 10
	arenaFirst = 8 << 10
)

// add encodes one message into the arena and queues it. Events are held
// until the sender reaches their object, so they are packed into shared
// blocks: held one allocation each, a 600-byte event cost a 4 KB buffer
// and limit (which counts bytes) did not bound memory (tests/bench: 200
// VPC flow log objects peaked at 172 MB RSS). A new block is started when
// the current one is nearly full; an event that outgrows it makes append
// move it, and earlier events keep pointing into the old, unchanged block.
// trimmed is reported once per message over both passes.
func (e *emitter) add(msg *pyjson.Object) (trimmed bool, err error) {
	return e.put(msg, nil)
}

// addEncoded is add for a message already encoded (event.RawEncoder),
// which fits the queue as it is.
func (e *emitter) addEncoded(data []byte) error {
	_, err := e.put(nil, data)
	return err
}

// put queues msg encoded, or data when msg is nil.
func (e *emitter) put(msg *pyjson.Object, data []byte) (trimmed bool, err error) {
	e.n++
	if e.validating {
		return false, nil
	}
	if c := min(cap(e.arena), arenaChunk); e.arena == nil || cap(e.arena)-len(e.arena) < c/8 {
		e.arena = make([]byte, 0, min(max(2*c, arenaFirst), arenaChunk))
	}
	start := len(e.arena)
	if msg != nil {
		e.arena, trimmed = event.AppendEncode(e.arena, msg)
	} else {
		e.arena = append(e.arena, data...)
	}
	trimmed = trimmed && e.n > e.reported
	e.pending = append(e.pending, e.arena[start:len(e.arena):len(e.arena)])
	n := len(e.arena) - start
	e.size += n
	if e.streaming {
		if e.size < batchBytes {
			return trimmed, nil
		}
		return trimmed, e.flush()
	}
	if e.size < e.limit && e.budget.Add(int64(n)) <= e.maxHeld {
		e.o.held += int64(n)
		return trimmed, nil
	}
	if e.size < e.limit {
		e.budget.Add(-int64(n)) // not held after all
	}
	// Too large to hold: give the memory back and only validate the rest.
	e.budget.Add(-e.o.held)
	e.o.held = 0
	e.pending, e.size, e.arena = nil, 0, nil
	e.validating = true
	e.reported = e.n
	return trimmed, nil
}

// stream starts the second pass of an object the first pass validated.
func (e *emitter) stream() {
	e.validating, e.streaming, e.n = false, true, 0
}

func (e *emitter) flush() error {
	if len(e.pending) == 0 {
		return nil
	}
	select {
	case e.o.out <- e.pending:
	case <-e.ctx.Done():
		return context.Cause(e.ctx)
	}
	e.pending, e.size = nil, 0
	return nil
}

// finish publishes what is left and the object's outcome. A failed object
// sends nothing more: nothing at all unless its second pass had begun,
// which fails only on a transport error or a stop.
func (e *emitter) finish(err error) {
	if err != nil {
		e.pending = nil
	}
	if ferr := e.flush(); ferr != nil && err == nil {
		err = ferr
	}
	e.o.err = err
	close(e.o.out)
}
