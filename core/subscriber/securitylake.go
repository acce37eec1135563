package subscriber

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wazuh/aws-s3-go/core/awsclient"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/pyjson"
	"github.com/wazuh/aws-s3-go/core/send"
)

// lakeRoute returns the object of an EventBridge "Object Created" event,
// the notification Security Lake sends its subscribers: detail.bucket.name
// and detail.object.key. EventBridge does not URL-encode the key, and the
// reference uses it as it is.
func lakeRoute(v pyjson.Value) (route, bool) {
	d := get(v, "detail")
	bucket, ok1 := get(get(d, "bucket"), "name").(string)
	key, ok2 := get(get(d, "object"), "key").(string)
	return route{bucket: bucket, key: key}, ok1 && ok2
}

// lakeObject sends every row of a Security Lake Parquet object as the
// reference does: each row's JSON text as the whole event (no envelope,
// no null removal, no discard filter).
func (r *run) lakeObject(ctx context.Context, rt route) error {
	r.log.Debug(2, fmt.Sprintf("Processing file %s in %s", rt.key, rt.bucket))
	out, err := r.s3For(ctx, rt.bucket).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(rt.bucket), Key: aws.String(rt.key)})
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return &objectError{r.lakeGetError(rt, awsclient.ClientError(err), err)}
	}
	body := &countingReader{r: out.Body}
	ra, size, release, err := spool(body, r.parquetMemory(), r.env.TempDir)
	out.Body.Close()
	r.env.Stats.Bytes.Add(body.n)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return &objectError{r.lakeGetError(rt, err.Error(), err)}
	}
	defer release()
	found := 0
	// Rows are sent as they are decoded: the lock keeps them together, and
	// the downloads of the other messages go on meanwhile.
	r.sending.Lock()
	defer r.sending.Unlock()
	err = parquetRows(ra, size, func(row *pyjson.Object) error {
		found++
		if err := context.Cause(ctx); err != nil {
			return err
		}
		return r.emit(ctx, r.path().Encode(row, "the object "+rt.key))
	})
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		var se *send.Error
		if errors.As(err, &se) {
			return err // the sink failed
		}
		// pyarrow's exception was unexpected for the reference: exit 12
		// (1 when debugging).
		return &objectError{fmt.Errorf("reading the Parquet object %s in bucket %s: %w", rt.key, rt.bucket, err)}
	}
	r.log.Debug(2, fmt.Sprintf("Found %d events in file %s", found, rt.key))
	r.log.Debug(2, fmt.Sprintf("%d events sent to Analysisd", found))
	r.env.Stats.Objects.Add(1)
	return nil
}

// lakeGetError is the reference's failure to download a Parquet object:
// reported at debug level 1 only, and ending the run as an SQS failure.
func (r *run) lakeGetError(rt route, detail string, err error) error {
	return &host.Quiet{Level: 1, Err: awsclient.Errorf(awsclient.Queue, err, "Could not get the parquet file %s in %s: %s", rt.key, rt.bucket, detail)}
}

// parquetMemory is one worker's share of the run's Parquet memory.
func (r *run) parquetMemory() int64 {
	total := r.env.ParquetMemory
	if total <= 0 {
		total = DefaultParquetMemory
	}
	return max(total/int64(r.workers()), 1)
}
