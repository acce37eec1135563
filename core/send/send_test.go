package send

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wazuh/aws-s3-go/core/event"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
	"github.com/wazuh/aws-s3-go/core/sink"
)

func message(key, text string) *pyjson.Object {
	info := pyjson.NewObject(2)
	info.Set("log_file", key)
	aws := pyjson.NewObject(2)
	aws.Set("log_info", info)
	aws.Set("text", text)
	m := pyjson.NewObject(2)
	m.Set("integration", "aws")
	m.Set("aws", aws)
	return m
}

func TestMessage(t *testing.T) {
	var out, logs bytes.Buffer
	var count atomic.Int64
	p := New(sink.NewWriter(&out), logging.NewScript(&logs, 3), &count)
	if err := p.Message(context.Background(), message("k.json", "é"), "the object k.json"); err != nil {
		t.Fatal(err)
	}
	const want = `{"integration": "aws", "aws": {"log_info": {"log_file": "k.json"}, "text": "\u00e9"}}`
	if got := out.String(); got != sink.Header+want+"\n" {
		t.Errorf("sent %q", got)
	}
	if got := logs.String(); got != "DEBUG: "+want+"\n" {
		t.Errorf("logged %q", got)
	}
	if n, b := p.Sent(); n != 1 || b != int64(len(want)) || count.Load() != 1 {
		t.Errorf("Sent() = %d, %d; count %d", n, b, count.Load())
	}
}

func TestMessageTrimmed(t *testing.T) {
	for _, level := range []int{0, 1} {
		var out, logs bytes.Buffer
		p := New(sink.NewWriter(&out), logging.NewScript(&logs, level), nil)
		m := message("big.json", strings.Repeat("x", 70000))
		if err := p.Message(context.Background(), m, "the object big.json"); err != nil {
			t.Fatal(err)
		}
		ev := strings.TrimSuffix(strings.TrimPrefix(out.String(), sink.Header), "\n")
		if len(ev) > event.MaxEvent || !strings.Contains(ev, "wazuh_truncated") || !strings.Contains(ev, event.TruncatedSuffix) {
			t.Errorf("level %d: sent %d bytes, not trimmed as event.Encode does", level, len(ev))
		}
		want := `WARNING: An event of the object big.json exceeded the 65523 bytes a queue message can hold and was trimmed (marked "wazuh_truncated").` + "\n"
		if level >= 1 {
			want = "DEBUG: Event size exceeds the maximum allowed limit of 65535 bytes.\n" + want
		}
		if logs.String() != want {
			t.Errorf("level %d logged:\n%s\nwant:\n%s", level, logs.String(), want)
		}
	}
}

// failWriter refuses every write with err.
type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestSendFailure(t *testing.T) {
	broken := errors.New("broken pipe")
	var count atomic.Int64
	p := New(sink.NewWriter(failWriter{broken}), nil, &count)
	err := p.Event(context.Background(), []byte(`{"a": 1}`))
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("Event = %#v, want a *send.Error", err)
	}
	if want := "Error sending message to wazuh: sink: write event: broken pipe"; se.Error() != want {
		t.Errorf("message %q, want %q", se.Error(), want)
	}
	if !errors.Is(err, broken) {
		t.Error("the sink's error is not wrapped")
	}
	if n, _ := p.Sent(); n != 0 || count.Load() != 0 {
		t.Errorf("counted %d/%d events not sent", n, count.Load())
	}
}

func TestCancelled(t *testing.T) {
	var out bytes.Buffer
	p := New(sink.NewWriter(&out), nil, nil)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Message(ctx, message("k", "v"), "the object k"); err != context.Canceled {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}

	// A run stopped for a reason returns the reason, not exit 13.
	stop := errors.New("stopped: the list failed")
	ctx, cancelCause := context.WithCancelCause(context.Background())
	cancelCause(stop)
	if err := p.Event(ctx, []byte("{}")); err != stop {
		t.Errorf("cancelled with a cause: %v, want %v", err, stop)
	}

	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if err := p.Text(ctx, "raw", "the log stream s"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("past deadline: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("sent %q after the end of the context", out.String())
	}
	if n, _ := p.Sent(); n != 0 {
		t.Errorf("counted %d", n)
	}
}

func TestText(t *testing.T) {
	var out, logs bytes.Buffer
	p := New(sink.NewWriter(&out), logging.NewScript(&logs, 3), nil)
	if err := p.Text(context.Background(), `plain "text" é`, "the log stream s"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != sink.Header+"plain \"text\" é\n" {
		t.Errorf("sent %q", got)
	}
	if got := logs.String(); got != `DEBUG: "plain \"text\" \u00e9"`+"\n" {
		t.Errorf("logged %q", got)
	}
}

func TestTextCut(t *testing.T) {
	var out, logs bytes.Buffer
	p := New(sink.NewWriter(&out), logging.NewScript(&logs, 1), nil)
	// A three-byte character across the limit: the cut falls before it.
	msg := strings.Repeat("a", event.MaxEvent-1) + "€" + "tail"
	if err := p.Text(context.Background(), msg, "the log stream s"); err != nil {
		t.Fatal(err)
	}
	ev := strings.TrimSuffix(strings.TrimPrefix(out.String(), sink.Header), "\n")
	if ev != msg[:event.MaxEvent-1] || !utf8.ValidString(ev) {
		t.Errorf("sent %d bytes, want the first %d", len(ev), event.MaxEvent-1)
	}
	want := "DEBUG: Event size exceeds the maximum allowed limit of 65535 bytes.\n" +
		"WARNING: An event of the log stream s exceeded the 65523 bytes a queue message can hold and was cut to its first 65522 bytes.\n"
	if logs.String() != want {
		t.Errorf("logged:\n%s\nwant:\n%s", logs.String(), want)
	}
}

func TestTextTooLongForSocket(t *testing.T) {
	var logs bytes.Buffer
	p := New(sink.NewWriter(failWriter{syscall.EMSGSIZE}), logging.NewScript(&logs, 1), nil)
	if err := p.Text(context.Background(), "x", "the log stream s"); err != nil {
		t.Fatalf("Text = %v, want the message skipped", err)
	}
	want := "ERROR: Message too long to send to Wazuh.  Skipping message...\n" +
		"DEBUG: +++ ERROR: Message longer than buffer socket for Wazuh. Consider increasing rmem_max. Skipping message...\n"
	if logs.String() != want {
		t.Errorf("logged:\n%s", logs.String())
	}
	// Only raw text is skipped: an event of an object must not be lost.
	var se *Error
	if err := p.Event(context.Background(), []byte("{}")); !errors.As(err, &se) {
		t.Errorf("Event = %v, want a *send.Error", err)
	}
}

// queue binds a datagram socket like agentd's queue and returns it with a
// Socket sink connected to it; both are closed when t ends.
func queue(t *testing.T) (*net.UnixConn, *sink.Socket) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "queue")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetReadBuffer(1 << 20)
	s := sink.NewSocket(path, nil)
	t.Cleanup(func() { s.Close() })
	return conn, s
}

// TestSocket sends through the queue socket to a datagram socket bound
// like agentd's: the frame is the header and the event, byte for byte.
func TestSocket(t *testing.T) {
	conn, s := queue(t)
	p := New(s, nil, nil)
	m := message("big.json", strings.Repeat("y", 80000))
	if err := p.Message(context.Background(), m, "the object big.json"); err != nil {
		t.Fatal(err)
	}
	want, _ := event.Encode(m)
	buf := make([]byte, 1<<17)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf[:n]; !bytes.Equal(got, append([]byte(sink.Header), want...)) {
		t.Errorf("frame of %d bytes differs from the header and the %d-byte event", n, len(want))
	}
}

// TestEvents sends a batch through the queue socket: the events arrive in
// order and are counted; an event the kernel refuses stops the batch with
// the send failure, counting only those before it; at debug level 3 each
// event is logged just before it is sent, as Event logs it.
func TestEvents(t *testing.T) {
	conn, s := queue(t)
	read := func(want ...string) {
		t.Helper()
		buf := make([]byte, 1<<17)
		for i, w := range want {
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("datagram %d: %v", i, err)
			}
			if string(buf[:n]) != sink.Header+w {
				t.Errorf("datagram %d = %q, want %q", i, buf[:n], sink.Header+w)
			}
		}
		conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if n, err := conn.Read(buf); err == nil {
			t.Errorf("extra datagram %.30q", buf[:n])
		}
	}

	var count atomic.Int64
	p := New(s, logging.NewScript(&bytes.Buffer{}, 2), &count)
	if err := p.Events(context.Background(), [][]byte{[]byte(`{"a": 1}`), []byte(`{"b": 2}`)}); err != nil {
		t.Fatal(err)
	}
	read(`{"a": 1}`, `{"b": 2}`)
	if n, b := p.Sent(); n != 2 || b != 16 || count.Load() != 2 {
		t.Errorf("Sent() = %d, %d; count %d", n, b, count.Load())
	}

	huge := bytes.Repeat([]byte("z"), 4<<20)
	err := p.Events(context.Background(), [][]byte{[]byte(`{"c": 3}`), huge, []byte(`{"d": 4}`)})
	var se *Error
	if !errors.As(err, &se) || !errors.Is(err, syscall.EMSGSIZE) {
		t.Errorf("Events with an oversize datagram = %v, want a *send.Error with EMSGSIZE", err)
	}
	read(`{"c": 3}`)
	if n, b := p.Sent(); n != 3 || b != 24 || count.Load() != 3 {
		t.Errorf("after the failure Sent() = %d, %d; count %d", n, b, count.Load())
	}

	var logs bytes.Buffer
	var out bytes.Buffer
	p = New(sink.NewWriter(&out), logging.NewScript(&logs, 3), nil)
	if err := p.Events(context.Background(), [][]byte{[]byte(`{"e": 5}`), []byte(`{"f": 6}`)}); err != nil {
		t.Fatal(err)
	}
	if want := "DEBUG: {\"e\": 5}\nDEBUG: {\"f\": 6}\n"; logs.String() != want {
		t.Errorf("logged %q, want %q", logs.String(), want)
	}
	if want := sink.Header + "{\"e\": 5}\n" + sink.Header + "{\"f\": 6}\n"; out.String() != want {
		t.Errorf("wrote %q, want %q", out.String(), want)
	}
}
