//go:build linux

package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// installHint is how to get the gateway the benchmarks need.
const installHint = "versitygw not found: install it with `go install github.com/versity/versitygw/cmd/versitygw@v1.8.0` (or set VERSITYGW to its path)"

// gatewayRegion is the region versitygw signs for (its default).
const gatewayRegion = "us-east-1"

// gateway is a versitygw process serving a temporary directory through
// its posix backend on a free 127.0.0.1 port.
type gateway struct {
	URL    string
	Access string // root keys, random per gateway
	Secret string
	Client *s3.Client

	dir  string // temporary root: data/ is the posix backend, gw.log its output
	cmd  *exec.Cmd
	done chan struct{} // closed when the process exited
	werr error
}

// errNoGateway reports that versitygw is not installed.
var errNoGateway = errors.New(installHint)

// findGateway returns the versitygw binary: $VERSITYGW, then $PATH, then
// the go install directory.
func findGateway() (string, error) {
	if p := os.Getenv("VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w (VERSITYGW: %v)", errNoGateway, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	dirs := []string{os.Getenv("GOBIN")}
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errNoGateway
}

// startGateway starts versitygw. The root keys go through its
// environment, never its command line, so they do not show in ps.
func startGateway() (*gateway, error) {
	bin, err := findGateway()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "aws-s3-bench-gw-")
	if err != nil {
		return nil, fmt.Errorf("bench: gateway directory: %w", err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: gateway directory: %w", err)
	}
	// The port is picked by listening and closing; another process could
	// take it in between, so a gateway that does not come up is retried.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		g, err := launch(bin, dir, data)
		if err == nil {
			return g, nil
		}
		lastErr = err
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

func launch(bin, dir, data string) (*gateway, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	g := &gateway{URL: "http://" + addr, Access: randomKey(10), Secret: randomKey(20), dir: dir, done: make(chan struct{})}
	logf, err := os.Create(filepath.Join(dir, "gw.log"))
	if err != nil {
		return nil, fmt.Errorf("bench: gateway log: %w", err)
	}
	defer logf.Close()
	g.cmd = exec.Command(bin, "--port", addr, "--quiet", "posix", data)
	g.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+g.Access, "ROOT_SECRET_ACCESS_KEY="+g.Secret)
	g.cmd.Stdout, g.cmd.Stderr = logf, logf
	// A process group of its own so that stop reaches anything it
	// spawns; Pdeathsig so that a killed benchmark does not leak it.
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start %s: %w", bin, err)
	}
	go func() { g.werr = g.cmd.Wait(); close(g.done) }()
	if err := g.waitReady(addr, 15*time.Second); err != nil {
		g.stop()
		return nil, fmt.Errorf("%w\n%s", err, g.logTail())
	}
	g.Client = newS3Client(g.URL, g.Access, g.Secret)
	return g, nil
}

// waitReady waits until the gateway answers HTTP (any status).
func (g *gateway) waitReady(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	hc := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-g.done:
			return fmt.Errorf("bench: versitygw exited at start-up: %v", g.werr)
		default:
		}
		if resp, err := hc.Get(g.URL + "/"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("bench: versitygw did not answer on %s within %v", addr, limit)
}

// logTail is the end of the gateway's output, for error messages.
func (g *gateway) logTail() string {
	b, _ := os.ReadFile(filepath.Join(g.dir, "gw.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "versitygw output:\n" + string(b)
}

// stop ends the process group: SIGTERM, then SIGKILL after 5 s.
func (g *gateway) stop() {
	if g.cmd == nil || g.cmd.Process == nil {
		return
	}
	pgid := g.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-g.done
	}
}

// cpuSeconds is the CPU time the gateway used so far (utime+stime of
// /proc/<pid>/stat, in USER_HZ = 100 ticks a second), -1 if unknown.
func (g *gateway) cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", g.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	// Fields after the parenthesised command name, which may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return float64(ut+st) / 100
}

// Close stops the gateway and removes its directory.
func (g *gateway) Close() error {
	g.stop()
	return os.RemoveAll(g.dir)
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("bench: find a free port on 127.0.0.1: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func randomKey(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func newS3Client(url, access, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region:       gatewayRegion,
		BaseEndpoint: aws.String(url),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(access, secret, ""),
		// Plain PUTs with a Content-Length, as the engine's own client
		// is configured: no streaming trailer checksums.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// createBucket creates a bucket.
func (g *gateway) createBucket(ctx context.Context, name string) error {
	_, err := g.Client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		return fmt.Errorf("bench: create bucket %s: %w", name, err)
	}
	return nil
}

// put stores body under key.
func (g *gateway) put(ctx context.Context, bucket, key string, body []byte) error {
	_, err := g.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
	if err != nil {
		return fmt.Errorf("bench: put %s/%s: %w", bucket, key, err)
	}
	return nil
}

// putFile stores the file at path under key, streaming it.
func (g *gateway) putFile(ctx context.Context, bucket, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	// Over plain HTTP the SDK hashes a seekable body for the signature,
	// reading the file twice; UNSIGNED-PAYLOAD would need a custom
	// middleware and the upload is not measured.
	_, err = g.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f, ContentLength: aws.Int64(fi.Size())})
	if err != nil {
		return fmt.Errorf("bench: put %s/%s from %s: %w", bucket, key, path, err)
	}
	return nil
}

// upload is one object to store.
type upload struct {
	key  string
	body []byte
}

// putAll stores objects with a few concurrent PUTs.
func (g *gateway) putAll(ctx context.Context, bucket string, objects <-chan upload) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range objects {
				if err := g.put(ctx, bucket, o.key, o.body); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}
