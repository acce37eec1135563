package modulesd

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// setup is what the Makefile passes: the daemon's build, the library,
// the executable to compare with and the Wazuh sources.
type setup struct {
	modulesd string // work dir of build-modulesd.sh: bin/wazuh-modulesd, lib/
	library  string // libaws_s3.so
	exe      string // aws-s3
	wazuh    string // Wazuh sources (etc/internal_options.conf)
	gateway  string // versitygw
}

func need(t *testing.T) setup {
	t.Helper()
	s := setup{
		modulesd: os.Getenv("AWS_S3_MODULESD"),
		library:  os.Getenv("AWS_S3_LIBRARY"),
		exe:      os.Getenv("AWS_S3_EXECUTABLE"),
		wazuh:    os.Getenv("WAZUH_SRC"),
	}
	if s.modulesd == "" {
		t.Skip("set AWS_S3_MODULESD to the work dir of build-modulesd.sh (make modulesd-test)")
	}
	s.gateway, _ = fixture.FindGateway()
	for name, p := range map[string]string{"AWS_S3_MODULESD/bin/wazuh-modulesd": filepath.Join(s.modulesd, "bin", "wazuh-modulesd"),
		"AWS_S3_LIBRARY": s.library, "AWS_S3_EXECUTABLE": s.exe, "VERSITYGW": s.gateway,
		"WAZUH_SRC/etc/internal_options.conf": filepath.Join(s.wazuh, "etc", "internal_options.conf")} {
		if _, err := os.Stat(p); p == "" || err != nil {
			t.Fatalf("%s: %q missing (%v)", name, p, err)
		}
	}
	if os.Geteuid() != 0 {
		t.Fatal("wazuh-modulesd switches to the group wazuh: run as root")
	}
	if _, err := user.LookupGroup("wazuh"); err != nil {
		t.Fatalf("no group wazuh (groupadd -r wazuh): %v", err)
	}
	return s
}

// gateway is versitygw serving a temporary directory on 127.0.0.1. The
// objects are written straight into its posix backend.
type gateway struct {
	url, access, secret string
	data                string
}

// startGateway starts versitygw with fixed root keys, which the tests
// look for in the daemon's logs.
func startGateway(t *testing.T) *gateway {
	t.Helper()
	gw, err := fixture.StartGatewayKeys("AKIAMODULESDTEST0001", "modulesdSecretValue/0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	return &gateway{url: gw.URL, access: gw.Access, secret: gw.Secret, data: gw.Data()}
}

// trail writes a CloudTrail bucket: objects×records events dated day.
func (g *gateway) trail(t *testing.T, bucket string, day time.Time, objects, records int) {
	t.Helper()
	for i := 0; i < objects; i++ {
		at := day.Add(time.Duration(i) * time.Minute)
		key := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%sZ_%04d.json.gz",
			account, region, at.Format("2006/01/02"), account, region, at.Format("20060102T1504"), i)
		p := filepath.Join(g.data, bucket, key)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, gzipped(cloudTrail(i, at, records)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const (
	account = "123456789012"
	region  = "us-east-1"
)

// eventID numbers every record of a bucket: object i, record j.
func eventID(i, j int) string { return fmt.Sprintf("%08d-%04d-4000-8000-000000000000", i, j) }

func cloudTrail(obj int, at time.Time, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	for j := 0; j < n; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"%s","userName":"alice"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"%s","sourceIPAddress":"203.0.113.%d","requestID":"REQ%06d","eventID":"%s","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"%s"}`,
			account, at.Add(time.Duration(j)*time.Second).UTC().Format(time.RFC3339), region, j%250+1, j, eventID(obj, j), account)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// home is a minimal agent install tree for one daemon.
type home struct {
	dir   string
	s     setup
	agent *agentd
	q     *queue
}

func newHome(t *testing.T, s setup, withLibrary bool, ossecConf string) *home {
	t.Helper()
	// Short: sockets live under it (sun_path is 108 bytes).
	dir, err := os.MkdirTemp("", "msd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() || os.Getenv("AWS_S3_KEEP") == "" {
			os.RemoveAll(dir)
		} else {
			t.Logf("kept %s", dir)
		}
	})
	h := &home{dir: dir, s: s}
	for _, d := range []string{"bin", "etc", "lib", "logs", "var/run", "var/wodles", "queue/sockets", "tmp", "wodles/aws"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o770); err != nil {
			t.Fatal(err)
		}
	}
	cp(t, filepath.Join(s.modulesd, "bin", "wazuh-modulesd"), filepath.Join(dir, "bin", "wazuh-modulesd"), 0o750)
	libs, _ := filepath.Glob(filepath.Join(s.modulesd, "lib", "*.so"))
	for _, l := range libs {
		cp(t, l, filepath.Join(dir, "lib", filepath.Base(l)), 0o750)
	}
	if withLibrary {
		cp(t, s.library, filepath.Join(dir, "lib", "libaws_s3.so"), 0o750)
	}
	cp(t, filepath.Join(s.wazuh, "etc", "internal_options.conf"), filepath.Join(dir, "etc", "internal_options.conf"), 0o640)
	write(t, filepath.Join(dir, "etc", "local_internal_options.conf"), "wazuh_modules.debug=1\n")
	write(t, filepath.Join(dir, "etc", "ossec.conf"), ossecConf)
	grp, _ := user.LookupGroup("wazuh")
	gid, _ := strconv.Atoi(grp.Gid)
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			os.Lchown(p, 0, gid)
		}
		return nil
	})
	h.agent = startAgentd(t, filepath.Join(dir, "queue", "sockets", "agent"))
	h.q = &queue{path: filepath.Join(dir, "queue", "sockets", "queue")}
	h.q.bind(t)
	t.Cleanup(h.q.close)
	return h
}

// ossecConf is a configuration with one aws-s3 bucket (and, when command
// is set, a command wodle, to see that other modules keep running).
func ossecConf(g *gateway, bucket, onlyAfter string, command bool) string {
	cmd := ""
	if command {
		cmd = `<wodle name="command"><disabled>no</disabled><tag>alive</tag><command>/bin/echo alive</command>` +
			`<interval>2s</interval><run_on_start>yes</run_on_start><ignore_output>no</ignore_output></wodle>`
	}
	return fmt.Sprintf(`<ossec_config>
  <sca><enabled>no</enabled></sca>
  <wodle name="syscollector"><disabled>yes</disabled></wodle>
  %s
  <wodle name="aws-s3">
    <disabled>no</disabled>
    <interval>1d</interval>
    <run_on_start>yes</run_on_start>
    <skip_on_error>no</skip_on_error>
    <bucket type="cloudtrail">
      <name>%s</name>
      <access_key>%s</access_key>
      <secret_key>%s</secret_key>
      <only_logs_after>%s</only_logs_after>
      <service_endpoint>%s</service_endpoint>
    </bucket>
  </wodle>
</ossec_config>
`, cmd, bucket, g.access, g.secret, onlyAfter, g.url)
}

func cp(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o640); err != nil {
		t.Fatal(err)
	}
}

func (h *home) log() string {
	b, _ := os.ReadFile(filepath.Join(h.dir, "logs", "ossec.log"))
	return string(b)
}

// waitLog waits until ossec.log has n lines containing s.
func (h *home) waitLog(t *testing.T, d *daemon, s string, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for strings.Count(h.log(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("ossec.log: %q not seen %d times within %v:\n%s", s, n, limit, tail(h.log()))
		}
		if d != nil && d.exited() {
			t.Fatalf("wazuh-modulesd exited (%v) before %q:\n%s", d.err, s, tail(h.log()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string) string {
	if len(s) > 6000 {
		return "..." + s[len(s)-6000:]
	}
	return s
}

func (h *home) db() string { return filepath.Join(h.dir, "wodles", "aws", "s3_cloudtrail.db") }

// agentd answers modulesd's start-up gate on queue/sockets/agent:
// 4-byte little-endian length, then the bytes.
type agentd struct {
	ln    *net.UnixListener
	mu    sync.Mutex
	gates int
}

func startAgentd(t *testing.T, path string) *agentd {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o660)
	a := &agentd{ln: ln}
	go func() {
		for {
			c, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			go a.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return a
}

func (a *agentd) serve(c *net.UnixConn) {
	defer c.Close()
	for {
		c.SetDeadline(time.Now().Add(5 * time.Minute))
		msg, err := recvSecure(c)
		if err != nil {
			return
		}
		reply := "err unknown command"
		if strings.HasPrefix(string(msg), "getstartupgate") {
			a.mu.Lock()
			a.gates++
			a.mu.Unlock()
			reply = `ok {"ready":true,"reason":"test agentd"}`
		}
		if err := sendSecure(c, []byte(reply)); err != nil {
			return
		}
	}
}

func recvSecure(c net.Conn) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return nil, err
	}
	l := binary.LittleEndian.Uint32(n[:])
	if l > 1<<24 {
		return nil, fmt.Errorf("message of %d bytes", l)
	}
	b := make([]byte, l)
	_, err := io.ReadFull(c, b)
	return b, err
}

func sendSecure(c net.Conn, b []byte) error {
	m := make([]byte, 4+len(b))
	binary.LittleEndian.PutUint32(m, uint32(len(b)))
	copy(m[4:], b)
	_, err := c.Write(m)
	return err
}

// queue is the agent's datagram queue socket.
type queue struct {
	path string

	mu     sync.Mutex
	frames []string
	conn   *net.UnixConn
	done   chan struct{}
}

func (q *queue) bind(t *testing.T) {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: q.path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("bind %s: %v", q.path, err)
	}
	os.Chmod(q.path, 0o660)
	c.SetReadBuffer(1 << 20)
	q.conn, q.done = c, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		buf := make([]byte, 1<<17)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			// SendMSG sends the message's terminating NUL too.
			f := strings.TrimRight(string(buf[:n]), "\x00")
			q.mu.Lock()
			q.frames = append(q.frames, f)
			q.mu.Unlock()
		}
	}(q.done)
}

// kill stops the reader the way a crashed agentd does: it reads no more,
// and whatever was in its socket buffer dies with it. That buffer is
// returned (read after shutdown(SHUT_RD), so nothing arrives in between)
// for the test's accounting; the socket file is removed.
func (q *queue) kill(t *testing.T) (lost []string) {
	t.Helper()
	raw, err := q.conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	// Stop the reader first, then take what is left in the buffer.
	q.conn.SetReadDeadline(time.Now())
	<-q.done
	raw.Control(func(fd uintptr) { err = syscall.Shutdown(int(fd), syscall.SHUT_RD) })
	if err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	buf := make([]byte, 1<<17)
	for {
		q.conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		n, err := q.conn.Read(buf)
		if err != nil || n == 0 {
			break
		}
		lost = append(lost, strings.TrimRight(string(buf[:n]), "\x00"))
	}
	q.conn.Close()
	q.conn = nil
	os.Remove(q.path)
	return lost
}

func (q *queue) close() {
	if q.conn != nil {
		q.conn.Close()
		<-q.done
		q.conn = nil
	}
}

// events returns the Wazuh-AWS payloads received so far.
func (q *queue) events() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return awsEvents(q.frames)
}

func (q *queue) count(prefix string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, f := range q.frames {
		if strings.HasPrefix(f, prefix) {
			n++
		}
	}
	return n
}

const eventPrefix = "1:Wazuh-AWS:"

func awsEvents(frames []string) []string {
	var out []string
	for _, f := range frames {
		if p, ok := strings.CutPrefix(f, eventPrefix); ok {
			out = append(out, p)
		}
	}
	return out
}

func (q *queue) waitEvents(t *testing.T, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for len(q.events()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d events at the queue within %v, want %d", len(q.events()), limit, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// daemon is one wazuh-modulesd process in the foreground.
type daemon struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func (h *home) start(t *testing.T) *daemon {
	t.Helper()
	out, err := os.OpenFile(filepath.Join(h.dir, "logs", "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	d := &daemon{cmd: exec.Command(filepath.Join(h.dir, "bin", "wazuh-modulesd"), "-f"), done: make(chan struct{})}
	d.cmd.Dir = h.dir
	d.cmd.Env = cleanEnv()
	d.cmd.Stdout, d.cmd.Stderr = out, out
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		if !d.exited() {
			syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			<-d.done
		}
	})
	return d
}

// cleanEnv is the environment without AWS settings of the machine's:
// only the gateway's keys from ossec.conf count.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "LD_LIBRARY_PATH=") && !strings.HasPrefix(kv, "WAZUH_") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_DEFAULT_REGION=us-east-1")
}

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// term sends SIGTERM and returns how long the daemon took to exit.
func (d *daemon) term(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	at := time.Now()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		return time.Since(at)
	case <-time.After(limit):
		t.Fatalf("wazuh-modulesd still running %v after SIGTERM", limit)
		return 0
	}
}

// getconfig asks modulesd's control socket for a configuration section.
func (h *home) getconfig(t *testing.T, section string) string {
	t.Helper()
	c, err := net.DialTimeout("unix", filepath.Join(h.dir, "queue", "sockets", "wmodules"), 5*time.Second)
	if err != nil {
		t.Fatalf("connect wmodules: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := sendSecure(c, []byte("getconfig "+section)); err != nil {
		t.Fatal(err)
	}
	b, err := recvSecure(c)
	if err != nil {
		t.Fatalf("getconfig %s: %v", section, err)
	}
	return string(b)
}

// row is one row of the cloudtrail table, without its processing time.
type row struct{ path, acct, region, key, created string }

func tableRows(t *testing.T, db string) []row {
	t.Helper()
	c := openDB(t, db)
	rs, err := c.Query("SELECT bucket_path, aws_account_id, aws_region, log_key, created_date FROM cloudtrail ORDER BY log_key")
	if err != nil {
		t.Fatalf("%s: %v", db, err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.path, &r.acct, &r.region, &r.key, &r.created); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// metadata is the databases' metadata table (the Wazuh version).
func metadata(t *testing.T, db string) []string {
	t.Helper()
	c := openDB(t, db)
	rs, err := c.Query("SELECT * FROM metadata")
	if err != nil {
		t.Fatalf("%s metadata: %v", db, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out []string
	for rs.Next() {
		v := make([]any, len(cols))
		p := make([]any, len(cols))
		for i := range v {
			p[i] = &v[i]
		}
		if err := rs.Scan(p...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(v...))
	}
	sort.Strings(out)
	return out
}

func integrity(t *testing.T, db string) {
	t.Helper()
	var res string
	if err := openDB(t, db).QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check of %s: %q %v", db, res, err)
	}
}

func openDB(t *testing.T, p string) *sql.DB {
	t.Helper()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("state database: %v", err)
	}
	db, err := sql.Open("sqlite", "file:"+p+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// runExecutable runs build/aws-s3 on the same bucket in a home of its own
// and returns the events it sent and its database.
func runExecutable(t *testing.T, s setup, g *gateway, bucket, onlyAfter string) ([]string, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "exe")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"bin", "queue/sockets", "wodles/aws"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	write(t, filepath.Join(dir, "bin", "wazuh-control"), "#!/bin/sh\necho 'WAZUH_VERSION=\"v5.1.0\"'\necho 'WAZUH_REVISION=\"alpha0\"'\necho 'WAZUH_TYPE=\"agent\"'\n")
	os.Chmod(filepath.Join(dir, "bin", "wazuh-control"), 0o755)
	q := &queue{path: filepath.Join(dir, "queue", "sockets", "queue")}
	q.bind(t)
	defer q.close()
	cmd := exec.Command(s.exe, "--bucket", bucket, "--type", "cloudtrail", "--access_key", g.access, "--secret_key", g.secret,
		"--only_logs_after", onlyAfter, "--service_endpoint", g.url, "--debug", "1", "--wazuh-home", dir)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws-s3: %v\n%s", err, out)
	}
	// The socket is FIFO: a marker sent now arrives after every event.
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: q.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("marker"))
	c.Close()
	for deadline := time.Now().Add(10 * time.Second); q.count("marker") == 0; {
		if time.Now().After(deadline) {
			t.Fatal("marker not received")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return q.events(), filepath.Join(dir, "wodles", "aws", "s3_cloudtrail.db")
}

// ids maps eventID to how often it was delivered.
func ids(t *testing.T, events []string) map[string]int {
	t.Helper()
	m := map[string]int{}
	for _, e := range events {
		var ev struct {
			AWS struct {
				EventID string `json:"eventID"`
			} `json:"aws"`
		}
		if err := json.Unmarshal([]byte(e), &ev); err != nil || ev.AWS.EventID == "" {
			t.Fatalf("event without aws.eventID (%v): %.200s", err, e)
		}
		m[ev.AWS.EventID]++
	}
	return m
}
