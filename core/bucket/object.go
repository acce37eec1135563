package bucket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wazuh/aws-s3-go/core/awsclient"
	"github.com/wazuh/aws-s3-go/core/decode"
	"github.com/wazuh/aws-s3-go/core/event"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// fatalError ends the run whatever skip_on_error says (the reference's
// failures outside get_log_file: reformatting, sending).
type fatalError struct{ err error }

func (f *fatalError) Error() string { return f.err.Error() }
func (f *fatalError) Unwrap() error { return f.err }

// transportError is a failure to read an object from S3: the request,
// the connection or the body (reset, timeout, a body shorter than its
// Content-Length, a 5xx after the SDK's retries, an object changed between
// two reads). Unlike bad content it says nothing about the object, so the
// object is never recorded nor deleted, whatever skip_on_error says: the
// run stops before it and the next run reads it again.
type transportError struct {
	key string
	err error
}

func (t *transportError) Error() string {
	return fmt.Sprintf("could not read %s: %s", t.key, awsclient.ClientError(t.err))
}
func (t *transportError) Unwrap() error { return t.err }

// body wraps an object's body: it counts the bytes read from S3 and
// remembers the first failure of the transfer itself, so that a decoder
// that then reports truncated gzip or JSON is not taken for bad content.
type body struct {
	r    io.Reader
	n    int64
	size int64 // Content-Length, -1 if unknown
	err  error // first read error other than a clean end
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	switch {
	case err == nil:
	case err == io.EOF:
		if b.size >= 0 && b.n < b.size && b.err == nil {
			b.err = fmt.Errorf("body cut after %d of %d bytes: %w", b.n, b.size, io.ErrUnexpectedEOF)
		}
	case b.err == nil:
		b.err = err
	}
	return n, err
}

// process fetches, decodes and encodes one object (a worker's job).
// A panic while decoding becomes the object's error, so the sender waiting
// for the object is always released.
func (r *run) process(ctx context.Context, o *object, budget *atomic.Int64) {
	e := &emitter{ctx: ctx, o: o, limit: r.opts.ObjectBuffer, budget: budget, maxHeld: int64(r.opts.HeldBytes)}
	var err error
	defer func() {
		if v := recover(); v != nil {
			err = host.PanicError(v)
		}
		e.finish(err)
	}()
	if err = context.Cause(ctx); err != nil {
		return
	}
	err = r.fetch(ctx, o, e)
}

// fetch delivers an object all-or-nothing with bounded memory. An object
// whose events fit in its buffer is decoded once and held. One that does
// not is decoded to the end without keeping its events (only to learn
// whether it decodes at all), then, if it does, read again (pinned to the
// same ETag) and streamed to the sender. Decoding is deterministic, so the
// second pass yields exactly the events the first one validated; a
// failure of the second pass can only be a transport failure.
func (r *run) fetch(ctx context.Context, o *object, e *emitter) error {
	etag, err := r.decodeObject(ctx, o, "", r.log, r.builder, e)
	if err != nil || !e.validating {
		return err
	}
	r.log.Debug(2, fmt.Sprintf("+++ %s is too large to hold its events; reading it again to send them", o.key))
	e.stream()
	// The first pass logged what decoding had to say; the second is quiet.
	quiet := logging.Discard{}
	b := *r.builder
	b.Log = quiet
	if _, err = r.decodeObject(ctx, o, etag, quiet, &b, e); err != nil {
		var te *transportError
		if errors.As(err, &te) || ctx.Err() != nil {
			return err
		}
		var fe *fatalError
		if errors.As(err, &fe) {
			return err
		}
		return &transportError{key: o.key, err: fmt.Errorf("the second read disagrees with the first: %w", err)}
	}
	return nil
}

// decodeObject reads the object (the version etag when it is set) and
// passes its events to e. It returns the object's ETag.
func (r *run) decodeObject(ctx context.Context, o *object, etag string, log logging.Logger, b *event.Builder, e *emitter) (string, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(r.t.Bucket), Key: aws.String(o.key)}
	if etag != "" {
		in.IfMatch = aws.String(etag)
	}
	out, err := r.s3.GetObject(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return "", context.Cause(ctx)
		}
		return "", &transportError{key: o.key, err: err}
	}
	defer out.Body.Close()
	size := int64(-1)
	if out.ContentLength != nil {
		size = *out.ContentLength
	}
	body := &body{r: out.Body, size: size}
	defer func() { r.stats.Bytes.Add(body.n) }()
	err = r.decodeBody(o, body, log, b, e)
	switch {
	case ctx.Err() != nil && err != nil:
		return "", context.Cause(ctx)
	case body.err != nil:
		// Whatever the decoder made of it, the bytes it saw were not the
		// object.
		return "", &transportError{key: o.key, err: body.err}
	}
	return aws.ToString(out.ETag), err
}

func (r *run) decodeBody(o *object, body io.Reader, log logging.Logger, b *event.Builder, e *emitter) error {
	text, err := decode.Open(o.key, body)
	if err != nil {
		return err
	}
	defer text.Close()
	opts := decode.Options{Log: log, SkipOnError: r.t.SkipOnError, Prefix: r.t.Prefix}
	if r.discard == nil {
		// The fast path: records encoded from their text, no tree. The
		// discard filter reads the tree, so it keeps the usual path.
		if enc := b.NewRawEncoder(o.key, o.unit.account); enc != nil {
			// The emitter copies each message: nothing refers to enc's
			// buffers once Events returns.
			defer enc.Release()
			opts.Tokens = enc.Tokens()
			opts.RawTokens = func(rec []byte, toks []pyjson.Token) (bool, error) {
				data, ok := enc.EncodeTokens(rec, toks)
				if !ok {
					return false, nil
				}
				if log.Enabled(3) {
					log.Debug(3, noDiscardLine)
				}
				enc.LogReformat()
				return true, e.addEncoded(data)
			}
		}
	}
	return decode.Events(r.lay.Kind.Name, o.key, text, opts, func(ev *pyjson.Object) error {
		if r.discard != nil {
			if r.discard.Skip(ev, log) {
				return nil
			}
		} else if log.Enabled(3) {
			log.Debug(3, noDiscardLine)
		}
		msgs, err := b.Messages(o.key, o.unit.account, ev)
		if err != nil {
			return &fatalError{err}
		}
		for _, m := range msgs {
			trimmed, err := e.add(m)
			if trimmed {
				r.warnTrimmed(m)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// noDiscardLine is what the script logged for each event when no discard
// filter was configured.
const noDiscardLine = `+++ The "None" regex did not find a match in the "None" field. The event will be processed.`

// warnTrimmed logs an event the emitter trimmed to fit the queue.
func (r *run) warnTrimmed(m *pyjson.Object) {
	r.out.Trimmed("the object " + logFile(m))
}

func logFile(m *pyjson.Object) string {
	a, _ := m.Get("aws")
	if ao, ok := a.(*pyjson.Object); ok {
		if li, ok := ao.Get("log_info"); ok {
			if lio, ok := li.(*pyjson.Object); ok {
				if f, ok := lio.Get("log_file"); ok {
					s, _ := f.(string)
					return s
				}
			}
		}
	}
	return ""
}

// deliver sends an object's events, handles its failure, removes it when
// asked, and records it (the sender's job, in listing order).
func (r *run) deliver(ctx context.Context, o *object) error {
	// A healthy socket never blocks, so Send alone would not notice a
	// stop: check before each object. An object already started is
	// finished when its events are held in memory, so a stop does not make
	// the next run send part of it again; only one in its second pass (too
	// large to hold) is cut short, and the next run sends it whole.
	if err := context.Cause(ctx); err != nil {
		return err
	}
	n := int64(0)
	for batch := range o.out {
		if err := r.out.Events(ctx, batch); err != nil {
			return err
		}
		n += int64(len(batch))
	}
	r.stats.Events.Add(n)
	if err := o.err; err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		var te *transportError
		if errors.As(err, &te) {
			// Not the object's fault: it stays unrecorded and in the
			// bucket, and the marker stops before it.
			return awsclient.Errorf(awsclient.Query, err, "Unexpected error querying/working with objects in S3: %s; it will be read again by the next run", te)
		}
		var fe *fatalError
		if errors.As(err, &fe) {
			r.log.Debug(2, "+++ Unexpected error: "+fe.err.Error())
			return awsclient.Errorf(awsclient.Query, fe.err, "Unexpected error querying/working with objects in S3: %s", fe.err)
		}
		var de *decode.Error
		if !errors.As(err, &de) {
			return err
		}
		if de.Fatal {
			// Failures the reference handles inside its parsers: it
			// prints them and exits, unless skip_on_error lets this one
			// go on to the per-object handler.
			if !(r.t.SkipOnError && de.Skippable) {
				return de
			}
			r.log.Error(de.Log)
		}
		if !r.t.SkipOnError {
			return de
		}
		r.log.Debug(1, "++ "+de.Message()+"; skipping...")
		r.stats.Skipped.Add(1)
		m := r.builder.ErrorMessage(o.key, o.unit.account, de.Message())
		if err := r.out.Message(ctx, m, "the object "+logFile(m)); err != nil {
			if ctx.Err() == nil {
				// Recording or removing the object now would lose the
				// only trace of it.
				r.log.Debug(1, "++ Failed to send message to Wazuh")
			}
			return err
		}
	}
	if r.t.Remove {
		r.log.Debug(2, "+++ Remove file from S3 Bucket:"+o.key)
		if _, err := r.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(r.t.Bucket), Key: aws.String(o.key)}); err != nil {
			return r.listErr(err)
		}
	}
	r.stats.Objects.Add(1)
	r.stats.Saw(o.key, o.lastModified)
	if r.t.Reparse {
		return nil
	}
	created, err := r.lay.CreatedDate(o.key, o.lastModified)
	if err != nil {
		r.log.Debug(2, fmt.Sprintf("+++ Error marking log %s as completed: %s", o.key, err))
		return nil
	}
	if _, err := r.table.Record(o.unit.group, o.key, created); err != nil {
		return err
	}
	return nil
}
