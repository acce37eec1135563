package sink

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// Writer writes each event as one line, Header+event+"\n", to an
// io.Writer (the demo prints the frames the queue would receive).
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer on w. Close does not close w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Send writes the line in one Write call.
func (w *Writer) Send(ctx context.Context, event []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(append(append(w.buf[:0], Header...), event...), '\n')
	if _, err := w.w.Write(w.buf); err != nil {
		return fmt.Errorf("sink: write event: %w", err)
	}
	return nil
}

// Close does nothing: the io.Writer belongs to the caller.
func (w *Writer) Close() error { return nil }

// Counting counts what another Sink accepted.
type Counting struct {
	Sink
	events atomic.Int64
	bytes  atomic.Int64
}

// NewCounting wraps s.
func NewCounting(s Sink) *Counting { return &Counting{Sink: s} }

// Send forwards to the wrapped Sink and counts the event when it was
// accepted.
func (c *Counting) Send(ctx context.Context, event []byte) error {
	if err := c.Sink.Send(ctx, event); err != nil {
		return err
	}
	c.events.Add(1)
	c.bytes.Add(int64(len(event)))
	return nil
}

// SendBatch forwards to the wrapped Sink (see SendAll) and counts the
// events it accepted.
func (c *Counting) SendBatch(ctx context.Context, events [][]byte) (int, error) {
	n, err := SendAll(ctx, c.Sink, events)
	size := 0
	for _, ev := range events[:n] {
		size += len(ev)
	}
	c.events.Add(int64(n))
	c.bytes.Add(int64(size))
	return n, err
}

// Events returns how many events were accepted.
func (c *Counting) Events() int64 { return c.events.Load() }

// Bytes returns the total length of the accepted events, headers excluded.
func (c *Counting) Bytes() int64 { return c.bytes.Load() }
