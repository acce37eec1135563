// Package sink delivers encoded events to Wazuh: the agent's queue socket,
// a host callback (the shared library), or a writer (the demo). A sink never
// drops an event: Send returns only once the event was accepted, or with an
// error when the context ends first or the event can never be delivered.
package sink

import "context"

// Location is the queue location the reference uses for every AWS event.
const Location = "Wazuh-AWS"

// Header is the frame prefix on the queue socket: LOCALFILE_MQ, location.
const Header = "1:" + Location + ":"

// Sink accepts one event at a time. event is the JSON text without the
// queue header. Implementations are safe for concurrent use.
type Sink interface {
	Send(ctx context.Context, event []byte) error
	Close() error
}

// Batch is implemented by sinks that can take several events at once, in
// fewer system calls than one per event.
type Batch interface {
	// SendBatch delivers events in order, with Send's guarantees for each.
	// n is how many of them were accepted, the first n; it is less than
	// len(events) only with an error.
	SendBatch(ctx context.Context, events [][]byte) (n int, err error)
}

// SendAll delivers events through s in order: in one SendBatch when s
// implements Batch, else one Send each. n is how many were accepted.
func SendAll(ctx context.Context, s Sink, events [][]byte) (n int, err error) {
	if b, ok := s.(Batch); ok {
		return b.SendBatch(ctx, events)
	}
	for i, ev := range events {
		if err := s.Send(ctx, ev); err != nil {
			return i, err
		}
	}
	return len(events), nil
}
