package e2e

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// splitErrors separates skip_on_error's error events from the records.
func splitErrors(t *testing.T, frames [][]byte) (records [][]byte, errs []event) {
	t.Helper()
	for _, f := range frames {
		ev := parseFrame(t, f)
		if _, ok := ev.msg["error_msg"]; ok {
			errs = append(errs, ev)
		} else {
			records = append(records, f)
		}
	}
	return records, errs
}

// TestCorruptObject puts a corrupt gzip object between good ones. With
// skip_on_error it becomes an error event and is recorded; without, the
// run ends with the reference's exit code after the objects before it,
// which alone are recorded, and a rerun once the object is fixed or gone
// delivers the rest.
func TestCorruptObject(t *testing.T) {
	t.Parallel()
	const account, region = "111111111111", "us-east-1"
	good := cloudtrail.body(account, region, day(20, 3, 0), 3)
	cases := []struct {
		name    string
		body    []byte
		prefix  string // of error_msg, before the key
		code    int    // without skip_on_error
		replace bool   // rerun with the object fixed (else removed)
	}{
		{"truncated", good[:len(good)/2], "Unknown error reading/parsing file ", 1, true},
		{"not-gzip", []byte("this is not a gzip stream\n"), "Failed to decompress file ", 8, false},
	}
	for _, c := range cases {
		for _, skip := range []bool{true, false} {
			name := c.name + map[bool]string{true: "/skip_on_error", false: "/stop"}[skip]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				bucket := "bad-" + c.name + map[bool]string{true: "-skip", false: "-stop"}[skip]
				e := newEnv(t, true, bucket)
				l := newLedger(cloudtrail)
				var keys []string
				for h := 1; h <= 5; h++ {
					if h == 3 {
						key := cloudtrail.key(account, region, day(20, h, 0), "bad")
						e.put(bucket, key, c.body)
						keys = append(keys, key)
						continue
					}
					keys = append(keys, l.upload(e, bucket, account, region, day(20, h, 0), "good", 3))
				}
				bad := keys[2]
				argv := e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-20")
				if skip {
					argv = append(argv, "--skip_on_error")
				}
				now := day(21, 12, 0)

				if skip {
					r := e.mustRun(argv, now, 0)
					records, errs := splitErrors(t, r.frames)
					l.add(t, records)
					l.checkExactlyOnce(t)
					if len(errs) != 1 {
						t.Fatalf("%d error events, want 1", len(errs))
					}
					msg, _ := errs[0].msg["error_msg"].(string)
					if !strings.HasPrefix(msg, c.prefix+bad+": ") {
						t.Errorf("error_msg %q, want prefix %q", msg, c.prefix+bad+": ")
					}
					if errs[0].file() != bad || str(errs[0].aws, "aws_account_id") != account {
						t.Errorf("error event envelope: log_file %q, aws_account_id %q", errs[0].file(), str(errs[0].aws, "aws_account_id"))
					}
					checkKeys(t, e, keys)
					return
				}

				r := e.mustRun(argv, now, c.code)
				records, errs := splitErrors(t, r.frames)
				if len(errs) != 0 {
					t.Errorf("error events without skip_on_error: %v", errs[0].msg)
				}
				first := l.add(t, records)
				for id := range first {
					if keyOf(id) != keys[0] && keyOf(id) != keys[1] {
						t.Errorf("%s sent, but only the objects before %s may be", id, bad)
					}
				}
				if got := l.complete(first); !got[keys[0]] || !got[keys[1]] {
					t.Errorf("objects before the corrupt one not delivered: %v", got)
				}
				checkKeys(t, e, keys[:2])

				if c.replace {
					l.upload(e, bucket, account, region, day(20, 3, 0), "bad", 3)
				} else {
					_, err := e.s3.Client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(bad)})
					if err != nil {
						t.Fatal(err)
					}
				}
				r = e.mustRun(argv, now, 0)
				l.add(t, r.frames)
				l.checkExactlyOnce(t)
				if c.replace {
					checkKeys(t, e, keys)
				} else {
					checkKeys(t, e, append(keys[:2:2], keys[3:]...))
				}
			})
		}
	}
}

// checkKeys fails unless the cloudtrail table holds exactly keys.
func checkKeys(t *testing.T, e *env, keys []string) {
	t.Helper()
	want := append([]string(nil), keys...)
	sort.Strings(want)
	var got []string
	for _, r := range rows(t, e.dbPath(), "cloudtrail", true) {
		got = append(got, r.Key)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("recorded keys:\n got %s\nwant %s", fmt.Sprint(got), fmt.Sprint(want))
	}
}
