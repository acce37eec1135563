// Package subscriber runs the reference script's subscriber mode: read S3
// event notifications (EventBridge events for Security Lake) from an SQS
// queue, fetch each notified object, turn it into events (JSON, CSV, text,
// or Parquet rows for Security Lake) and send them to the sink
// (reference-wodle.md §8).
//
// This is how collection scales past one host: any number of agents share
// one queue, SQS hands each notification to one of them at a time
// (visibility timeout), and no agent keeps state. The messages of a batch
// are processed concurrently while a heartbeat renews their visibility, so
// a slow object is not taken by a second agent. A message is deleted only
// after every event of its objects was accepted by the sink; a message
// whose processing failed stays in the queue and is delivered again once
// its visibility timeout expires, until the queue's redrive policy moves it
// to a dead-letter queue (at-least-once: a crash between sending and
// deleting resends that message's events, nothing is lost).
package subscriber

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/wazuh/aws-s3-go/core/awsclient"
	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/decode"
	"github.com/wazuh/aws-s3-go/core/event"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/logging"
)

// DefaultWait is the long-poll time of each ReceiveMessage (the
// reference's WaitTimeSeconds).
const DefaultWait = 20 * time.Second

// MaxMessages is how many messages one ReceiveMessage asks for (the SQS
// maximum, as the reference).
const MaxMessages = 10

// Env is what a run needs from its host.
type Env struct {
	// host.Env is what every runner gets from its host. A subscriber uses
	// its Log, Sink, Options.Workers (how many messages of a batch are
	// processed at once; 0 means DefaultWorkers) and Stats (the events
	// accepted by the sink, the objects fully sent and the bytes read from
	// S3).
	host.Env
	// Wait is the long-poll time of each receive: 0 means DefaultWait, a
	// negative value no wait (tests).
	Wait time.Duration
	// SQSEndpoint overrides the SQS endpoint. "" keeps the SDK's own
	// resolution (AWS_ENDPOINT_URL_SQS, shared config); service_endpoint
	// is S3's, as in the reference.
	SQSEndpoint string
	// ParquetMemory bounds the in-memory copies of the Security Lake
	// objects processed at once: each worker's share is ParquetMemory /
	// Workers, and a larger object is spooled to a temporary file in
	// TempDir ("" is os.TempDir()), removed once the object is sent. 0
	// means DefaultParquetMemory.
	ParquetMemory int64
	TempDir       string
	// HeldMemory bounds the encoded events of buckets and security_hub
	// objects held until their object is validated whole: each worker's
	// share is HeldMemory / Workers, and an object whose events do not
	// fit is parsed twice (validated, then sent) from its local copy. 0
	// means DefaultHeldMemory.
	HeldMemory int64
	// Limits bounds one record, line or value of a buckets or
	// security_hub object, as for bucket objects (decode.Limits; zero
	// fields mean their defaults). Past a limit the object fails with a
	// parse error naming the limit.
	Limits decode.Limits
	// Visibility is the queue's visibility timeout, for agents whose IAM
	// policy does not allow sqs:GetQueueAttributes: 0 reads it from the
	// queue (DefaultVisibility when that fails).
	Visibility time.Duration
}

// Run reads the queue of t until a receive returns no new message, and
// returns nil, ctx's error when ctx ended first, or an error that says
// what failed (*host.Error, *awsclient.Error, *decode.Error, *send.Error).
func Run(ctx context.Context, t config.Target, env Env) error {
	if env.Log == nil {
		env.Log = logging.Discard{}
	}
	if env.Stats == nil {
		env.Stats = &host.Stats{}
	}
	switch t.Type {
	case "buckets", "security_hub":
	case "security_lake":
		for _, a := range []struct{ v, name string }{{t.IAMRoleARN, "iam_role_arn"}, {t.Queue, "queue"}, {t.ExternalID, "external_id"}} {
			if a.v == "" {
				return host.Errorf(host.MissingArgument, "Used a subscriber but no --%s provided.", a.name)
			}
		}
	default:
		return host.Errorf(host.InvalidType, "Invalid type of subscriber")
	}
	if t.Queue == "" {
		return host.Errorf(host.MissingArgument, "Used a subscriber but no --queue provided.")
	}
	r := &run{t: t, env: env, log: env.Log, kept: map[string]bool{}, s3: map[string]*s3.Client{}}
	// Security Lake rows are sent as they are: the reference has no discard
	// filter for them (wazuh-modulesd rejects discard_regex there).
	if (t.DiscardField != "" || t.DiscardRegex != "") && t.Type != "security_lake" {
		d, err := event.CompileDiscard(t.DiscardField, t.DiscardRegex)
		if err != nil {
			return err
		}
		r.discard = d
		if t.DiscardRegex != "" {
			r.lineRegex = d.Regexp()
		}
	}
	c, err := awsclient.New(ctx, t)
	if err != nil {
		return awsclient.AccessError(err)
	}
	r.clients = c
	r.sqs = c.SQS(env.SQSEndpoint)
	if err := r.queueURL(ctx); err != nil {
		return err
	}
	return r.loop(ctx)
}

func (r *run) queueURL(ctx context.Context) error {
	qctx, cancel := context.WithTimeout(ctx, sqsCallTimeout)
	defer cancel()
	out, err := r.sqs.GetQueueUrl(qctx, &sqs.GetQueueUrlInput{QueueName: aws.String(r.t.Queue)})
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		var ae smithy.APIError
		if errors.As(err, &ae) {
			r.log.Debug(2, "+++ Error: "+awsclient.ClientError(err))
			return awsclient.Errorf(awsclient.QueueNotFound, err, "Queue does not exist, verify the given name")
		}
		if isCredentials(err) {
			return awsclient.Errorf(awsclient.Credentials, err, "Access error: %s", err)
		}
		return fmt.Errorf("getting the URL of the SQS queue %s: %w", r.t.Queue, err)
	}
	r.url = aws.ToString(out.QueueUrl)
	r.log.Debug(2, "The SQS queue is: "+r.url)
	return nil
}

// isCredentials reports an SDK failure to find or use credentials before
// any request was sent (botocore's NoCredentialsError).
func isCredentials(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "failed to retrieve credentials") || strings.Contains(msg, "failed to refresh cached credentials")
}

// unquotePlus is Python's urllib.parse.unquote_plus: '+' is a space, %XX
// sequences are bytes decoded as UTF-8 (invalid sequences replaced), and
// malformed escapes are kept as they are. S3 notifications encode keys
// this way.
func unquotePlus(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	// Python decodes with errors="replace".
	var out strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		out.WriteRune(r)
		b = b[n:]
	}
	return out.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
