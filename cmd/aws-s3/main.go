// Command aws-s3 is the Go build of Wazuh's aws-s3 wodle.
//
// Installed as <wazuh>/wodles/aws/aws-s3 it takes exactly the Python
// script's arguments and exit codes, so an unmodified agent runs it. It
// also runs a whole <wodle name="aws-s3"> block on its schedule
// (--config), checks one (--check-config), and shows what the state
// databases hold (--status). The demo is the separate command aws-s3-demo,
// so that this one links no fake S3 server.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/core/exit"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
)

var version = "dev"

const prog = "aws-s3"

const usage = `Our own options (anything else is the Python script's command line):
  --wazuh-home DIR     Wazuh installation directory (default: from this
                       program's path, or $WAZUH_HOME)
  --config FILE        run the <wodle name="aws-s3"> block of FILE on its schedule
  --check-config FILE  print the normalised configuration of FILE (secrets masked)
  --once               with --config: one scan, then exit
  --status             print what the state databases hold per bucket, account
                       and region (read-only; works while a run is going on)
  --json               with --status: JSON for scripts
  --workers N          objects fetched and decoded at once (default 8)
  --object-buffer N    bytes of events an object may hold before it streams
                       (default 4 MiB; smaller objects are all-or-nothing)
  --version            print the version
`

// memoryLimit is the soft limit of the Go runtime's memory (GOMEMLIMIT
// overrides it). Without it the heap peaks near twice the live events
// and fetches, and the peak RSS of a run (the executable's 35 MB of pages
// included) was 66-82 MB on tests/bench A and 72 MB on B; with it 63-64
// MB on both, for 10-30% more CPU in the collector (less as allocation
// per event falls).
const memoryLimit = 32 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// ours holds the options that are not the Python script's.
type ours struct {
	home, config, check string
	once, version       bool
	status, json        bool
	opts                engine.Options
}

// splitArgs takes our own options out of args; the rest is the script's.
func splitArgs(args []string) (ours, []string, error) {
	var o ours
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		next := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", name)
			}
			i++
			return args[i], nil
		}
		var err error
		switch name {
		case "--wazuh-home":
			o.home, err = next()
		case "--config":
			o.config, err = next()
		case "--check-config":
			o.check, err = next()
		case "--once":
			o.once = true
		case "--status":
			o.status = true
		case "--json":
			o.json = true
		case "--version":
			o.version = true
		case "--workers", "--object-buffer":
			var v string
			if v, err = next(); err == nil {
				var n int
				if n, err = strconv.Atoi(v); err == nil && n <= 0 {
					err = fmt.Errorf("%s must be positive", name)
				}
				if name == "--workers" {
					o.opts.Workers = n
				} else {
					o.opts.ObjectBuffer = n
				}
			}
		default:
			rest = append(rest, a)
		}
		if err != nil {
			return o, nil, err
		}
	}
	return o, rest, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, rest, err := splitArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n%s", prog, err, usage)
		return 2
	}
	switch {
	case o.version:
		fmt.Fprintf(stdout, "aws-s3 (Go) %s\n", version)
		return 0
	case o.status:
		return status(wazuhHome(o.home), o.json, time.Now(), stdout, stderr)
	case o.check != "":
		return checkConfig(o.check, stdout, stderr)
	case o.config != "":
		return runConfig(o, rest, stderr)
	}
	return runScript(o, rest, stdout, stderr)
}

// wazuhHome finds the installation directory like the script's
// find_wazuh_path: the path of this program up to its "wodles" component.
func wazuhHome(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv("WAZUH_HOME"); env != "" {
		return env
	}
	exe, err := os.Executable()
	if err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dir := filepath.Dir(exe)
		parts := strings.Split(dir, string(filepath.Separator))
		for i, p := range parts {
			if p == "wodles" {
				return string(filepath.Separator) + filepath.Join(parts[:i]...)
			}
		}
	}
	return "/var/ossec"
}

// signalContext is cancelled by SIGINT or SIGTERM: the run stops promptly
// with its progress saved.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

// runScript is the drop-in mode: the Python script's argv, output and
// exit codes.
func runScript(o ours, args []string, stdout, stderr io.Writer) int {
	home := wazuhHome(o.home)
	t, err := config.ParseArgv(prog, args)
	if err != nil {
		if ae, ok := err.(*config.ArgvError); ok {
			io.WriteString(stdout, ae.Stdout)
			io.WriteString(stderr, ae.Stderr)
			o, _ := exit.Of(ae)
			return o.Code
		}
		fmt.Fprintf(stdout, "ERROR: Unknown error: %s\n", err)
		return exit.Unknown
	}
	log := logging.NewScript(stdout, t.Debug)
	if t.Debug > 0 {
		log.Debug(1, fmt.Sprintf("+++ Debug mode on - Level: %d", t.Debug))
	}
	ctx, stop := signalContext()
	defer stop()
	q := sink.NewSocket(filepath.Join(home, "queue", "sockets", "queue"), log)
	defer q.Close()
	code := engine.Run(ctx, t, engine.Host{Home: home, Log: log, Sink: q, Options: o.opts})
	if ctx.Err() != nil {
		log.Error("SIGINT received.")
		return exit.Arguments
	}
	return code
}

func checkConfig(path string, stdout, stderr io.Writer) int {
	m, err := parseConfigFile(path, stderr)
	if err != nil {
		tag := config.ProcessTag
		if ce, ok := err.(*config.Error); ok && ce.Tagged {
			tag = config.LogTag
		}
		fmt.Fprintf(stderr, "%s: ERROR: %s\n", tag, err)
		return 1
	}
	out, err := config.DumpJSON(m)
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %s\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return 0
}

// parseConfigFile reads an ossec.conf (or a fragment), printing the
// grammar's warnings as Wazuh logs them.
func parseConfigFile(path string, stderr io.Writer) (*config.Module, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return config.ParseXML(f, func(m config.Message) {
		fmt.Fprintf(stderr, "%s: %s: %s\n", m.Tag(), m.Level, m.Text)
	})
}
