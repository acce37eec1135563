// Package send is the one path an event takes from a runner to the Wazuh
// queue: encode under the queue's size policy, log what the reference
// logged (the oversize line at level 1, the event at level 3), hand it to
// the sink, count it, and turn a sink failure into the error every runner
// returns (*Error). The bucket runner, the services and the subscriber all
// send through a Path, so the wording and the outcome cannot drift between
// them.
//
// A Path takes a message (*pyjson.Object), an event already encoded (the
// bucket runner encodes in its workers, and a faster encoder can do the
// same), or a raw text (CloudWatch Logs, sent as is like the reference).
package send

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"unicode/utf8"

	"github.com/wazuh/aws-s3-go/core/event"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
	"github.com/wazuh/aws-s3-go/core/sink"
)

// oversizeLine is the reference's line for an event longer than its
// MAX_EVENT_SIZE (wodles/utils.py).
const oversizeLine = "Event size exceeds the maximum allowed limit of 65535 bytes."

// A Path sends events to one sink. It is safe for concurrent use.
type Path struct {
	sink sink.Sink
	log  logging.Logger
	// count, when set, is also added to for each event the sink accepted
	// (a runner's own statistics).
	count  *atomic.Int64
	events atomic.Int64
	bytes  atomic.Int64
}

// New returns a Path to s logging to log (nil discards). count, when not
// nil, is added 1 for each event the sink accepts.
func New(s sink.Sink, log logging.Logger, count *atomic.Int64) *Path {
	if log == nil {
		log = logging.Discard{}
	}
	return &Path{sink: s, log: log, count: count}
}

// Sent reports how many events, and how many bytes of them, the sink
// accepted through p.
func (p *Path) Sent() (events, bytes int64) { return p.events.Load(), p.bytes.Load() }

// Encode applies event.Encode's size policy to m, and logs a trim as
// Trimmed does. from names where the event came from ("the object KEY").
func (p *Path) Encode(m *pyjson.Object, from string) []byte {
	data, trimmed := event.Encode(m)
	if trimmed {
		p.Trimmed(from)
	}
	return data
}

// Trimmed logs, for an event that event.Encode trimmed, the reference's
// level-1 line and a warning that the event was trimmed rather than lost.
// Callers that encode on their own (event.AppendEncode) call it.
func (p *Path) Trimmed(from string) {
	p.oversize(from, `trimmed (marked "wazuh_truncated")`)
}

func (p *Path) oversize(from, how string) {
	p.log.Debug(1, oversizeLine)
	p.log.Warning(fmt.Sprintf("An event of %s exceeded the %d bytes a queue message can hold and was %s.", from, event.MaxEvent, how))
}

// Message encodes m (see Encode) and sends it (see Event).
func (p *Path) Message(ctx context.Context, m *pyjson.Object, from string) error {
	return p.Event(ctx, p.Encode(m, from))
}

// Event sends one encoded event: data must already fit the queue
// (event.Encode or event.AppendEncode). At debug level 3 it logs the event
// first, as the reference did before each send.
func (p *Path) Event(ctx context.Context, data []byte) error {
	if p.log.Enabled(3) {
		p.log.Debug(3, string(data))
	}
	return p.send(ctx, data)
}

// Events sends encoded events in order, as Event sends each, in as few
// system calls as the sink allows. When the events are logged (debug
// level 3) each is sent right after its line, as the reference did, so
// that the log reads the same.
func (p *Path) Events(ctx context.Context, events [][]byte) error {
	if p.log.Enabled(3) {
		for _, data := range events {
			if err := p.Event(ctx, data); err != nil {
				return err
			}
		}
		return nil
	}
	n, err := sink.SendAll(ctx, p.sink, events)
	size := 0
	for _, data := range events[:n] {
		size += len(data)
	}
	p.accepted(int64(n), int64(size))
	if err != nil {
		return fail(ctx, err)
	}
	return nil
}

// Text sends a raw message as is, without JSON encoding, as the reference
// sent CloudWatch Logs messages. It logs the message JSON-quoted at level
// 3, as the reference did. A message longer than the queue holds is cut to
// the longest head that fits at a character boundary: the script sent it
// whole and the queue kept only its head anyway. A datagram the kernel
// refuses as too long (EMSGSIZE) is logged and skipped, the script's errno
// 90 branch; for raw text nothing else can be done with it.
func (p *Path) Text(ctx context.Context, msg, from string) error {
	if p.log.Enabled(3) {
		p.log.Debug(3, string(pyjson.Marshal(msg)))
	}
	data := []byte(msg)
	if len(data) > event.MaxEvent {
		n := event.MaxEvent
		for n > 0 && !utf8.RuneStart(data[n]) {
			n--
		}
		p.oversize(from, fmt.Sprintf("cut to its first %d bytes", n))
		data = data[:n]
	}
	err := p.send(ctx, data)
	if errors.Is(err, syscall.EMSGSIZE) {
		p.log.Error("Message too long to send to Wazuh.  Skipping message...")
		p.log.Debug(1, "+++ ERROR: Message longer than buffer socket for Wazuh. Consider increasing rmem_max. Skipping message...")
		return nil
	}
	return err
}

func (p *Path) send(ctx context.Context, data []byte) error {
	if err := p.sink.Send(ctx, data); err != nil {
		return fail(ctx, err)
	}
	p.accepted(1, int64(len(data)))
	return nil
}

// Error is an event the sink could never deliver. Error() is the script's
// message for it; the sink's error stays wrapped, so errors.Is still sees
// the errno.
type Error struct{ Err error }

func (e *Error) Error() string { return "Error sending message to wazuh: " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func (p *Path) accepted(events, bytes int64) {
	p.events.Add(events)
	p.bytes.Add(bytes)
	if p.count != nil {
		p.count.Add(events)
	}
}

// fail maps a sink failure to the error the runners return. Sinks wait and
// retry while the queue is unavailable, so a failure is either the end of
// ctx, passed through as its cause, or an *Error.
func fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &Error{Err: err}
}
