package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// childEnv, when set, makes the test binary run one target instead of the
// tests: the crash test re-executes itself to kill -9 a real process.
const childEnv = "AWS_S3_E2E_CHILD"

// childRun is what the parent passes to the child.
type childRun struct {
	Argv []string
	Home string
	Now  time.Time
}

// startChild runs argv in a re-executed copy of this test binary, so
// that the run is a real process a test can kill; exited receives the
// end of its Wait.
func (e *env) startChild(argv []string, now time.Time) (cmd *exec.Cmd, out *lockedBuffer, exited <-chan error) {
	e.t.Helper()
	spec, err := json.Marshal(childRun{Argv: argv, Home: e.home, Now: now})
	if err != nil {
		e.t.Fatal(err)
	}
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	out = new(lockedBuffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }()
	return cmd, out, ch
}

// TestMain sets the environment the engine's SDK clients read. It is
// process-wide (t.Setenv would forbid t.Parallel), so every test shares one
// fake STS; each test still has its own S3 server, home and socket.
func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(child(spec))
	}
	sts, err := fixture.StartS3()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	home, err := os.MkdirTemp("", "e2e-home")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for k, v := range map[string]string{
		"HOME":                        home,
		"AWS_ACCESS_KEY_ID":           fixture.AccessKey,
		"AWS_SECRET_ACCESS_KEY":       fixture.SecretKey,
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL_STS":        sts.URL,
		"AWS_CONFIG_FILE":             filepath.Join(home, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "no-credentials"),
	} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		os.Unsetenv(k)
	}
	code := m.Run()
	sts.Close()
	os.RemoveAll(home)
	os.Exit(code)
}

// child runs one target against the queue socket of its home and exits
// with the run's code.
func child(spec string) int {
	var c childRun
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 100
	}
	t, err := config.ParseArgv("aws-s3", c.Argv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 101
	}
	log := logging.NewScript(os.Stderr, 0)
	q := sink.NewSocket(queuePath(c.Home), log)
	defer q.Close()
	return engine.Run(context.Background(), t, engine.Host{
		Home: c.Home, Version: version, Log: log, Sink: q,
		Now: func() time.Time { return c.Now },
	})
}
