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
