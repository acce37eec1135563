package service

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/exit"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// frames is a sink that keeps what it accepted.
type frames struct {
	mu  sync.Mutex
	got []string
}

func (f *frames) Send(_ context.Context, ev []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, string(ev))
	return nil
}
func (f *frames) Close() error { return nil }

func (f *frames) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.got
	f.got = nil
	return g
}

// hermetic points the SDK at endpoint and away from the user's files.
func hermetic(t *testing.T, endpoint string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	for _, k := range []string{"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// runOnce runs target t with a fresh log buffer and returns the error, the
// frames sent and the log text.
func runOnce(t *testing.T, home string, tg config.Target, now time.Time) (error, []string, string) {
	t.Helper()
	var out bytes.Buffer
	sk := &frames{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := Run(ctx, tg, Env{
		Env: host.Env{Home: home, Version: "5.1.0", Log: logging.NewScript(&out, 3), Sink: sk,
			Now: func() time.Time { return now }},
		Loc: time.UTC,
	})
	return err, sk.take(), out.String()
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if o, ok := exit.Of(err); ok {
		return o.Code
	}
	return -1
}

// startMoto runs moto_server on a free loopback port for the test.
func startMoto(t *testing.T) string {
	t.Helper()
	m, err := fixture.StartMoto()
	if errors.Is(err, fixture.ErrNoMoto) {
		t.Skip(err.Error() + ": skipping the CloudWatch Logs tests against it")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m.URL
}

// query returns the rows of q as strings ("NULL" for NULL).
func query(t *testing.T, path, q string) [][]string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				row[i] = "NULL"
			case []byte:
				row[i] = string(x)
			default:
				row[i] = fmt.Sprint(x)
			}
		}
		out = append(out, row)
	}
	return out
}

func hasLine(log, line string) bool {
	for _, l := range strings.Split(log, "\n") {
		if l == line {
			return true
		}
	}
	return false
}
