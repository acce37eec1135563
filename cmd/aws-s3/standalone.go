package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/schedule"
	"github.com/wazuh/aws-s3-go/core/sink"
)

const logTag = "wazuh-modulesd:aws-s3"

// wazuhLog writes lines as Wazuh's logger does:
// "YYYY/MM/DD hh:mm:ss <tag>: <LEVEL>: <msg>". It remembers the last error
// so the exit-code warnings can quote it, as wm_aws.c quotes the script's.
type wazuhLog struct {
	mu        sync.Mutex
	w         io.Writer
	lastError string
}

func (l *wazuhLog) line(level int, msg string) {
	word := map[int]string{
		logging.LevelDebug: "DEBUG", logging.LevelInfo: "INFO", logging.LevelWarning: "WARNING",
		logging.LevelError: "ERROR", logging.LevelCritical: "CRITICAL", logging.LevelDebugVerbose: "DEBUG",
	}[level]
	l.mu.Lock()
	defer l.mu.Unlock()
	if level == logging.LevelError {
		l.lastError = msg
	}
	fmt.Fprintf(l.w, "%s %s: %s: %s\n", time.Now().Format("2006/01/02 15:04:05"), logTag, word, msg)
}

func (l *wazuhLog) takeLastError() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.lastError
	l.lastError = ""
	return e
}

// runConfig is the standalone mode: the module loop of wm_aws_main over
// the <wodle name="aws-s3"> block of an ossec.conf, in this process.
func runConfig(o ours, rest []string, stderr io.Writer) int {
	wl := &wazuhLog{w: stderr}
	m, err := parseConfigFile(o.config, stderr)
	if err != nil {
		wl.line(logging.LevelError, err.Error())
		return 1
	}
	if m.Disabled {
		wl.line(logging.LevelInfo, "Module AWS is disabled. Exiting...")
		return 0
	}
	if len(m.Targets) == 0 {
		wl.line(logging.LevelWarning, "No AWS buckets, services or subscribers defined. Exiting...")
		return 0
	}
	debug := 0
	for i := 0; i+1 < len(rest); i++ {
		if rest[i] == "--debug" {
			fmt.Sscanf(rest[i+1], "%d", &debug)
		}
	}
	home := wazuhHome(o.home)
	log := logging.NewFunc(wl.line, debug)
	ctx, stop := signalContext()
	defer stop()
	q := sink.NewSocket(filepath.Join(home, "queue", "sockets", "queue"), log)
	defer q.Close()

	wl.line(logging.LevelInfo, "Module AWS started")
	var last time.Time
	for {
		wait, overtaken := schedule.Next(m.Schedule, last, time.Now(), m.RunOnStart)
		if overtaken {
			wl.line(logging.LevelWarning, schedule.Overtaken)
		}
		last = time.Now().Add(wait)
		if wait > 0 {
			log.Debug(2, "Sleeping until: "+last.Format("2006/01/02 15:04:05"))
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return 0
			}
		}
		wl.line(logging.LevelInfo, "Starting fetching of logs.")
		for _, t := range m.Targets {
			if ctx.Err() != nil {
				return 0
			}
			t.Debug = debug
			wl.line(logging.LevelInfo, analysisLine(t))
			code := engine.Run(ctx, t, engine.Host{Home: home, Log: log, Sink: q, Options: o.opts})
			if code > 0 && ctx.Err() == nil {
				reportCode(wl, t, code)
			}
		}
		wl.line(logging.LevelInfo, "Fetching logs finished.")
		if o.once || ctx.Err() != nil {
			return 0
		}
	}
}

// analysisLine is wm_aws_main's "Executing ... Analysis" line.
func analysisLine(t config.Target) string {
	var b strings.Builder
	switch t.Kind {
	case config.KindBucket:
		name := t.Bucket
		if name == "" {
			name = "unknown_bucket"
		}
		fmt.Fprintf(&b, "Executing Bucket Analysis: (Bucket: %s", name)
		if t.Prefix != "" {
			fmt.Fprintf(&b, ", Path: %s", t.Prefix)
		}
		if t.Suffix != "" {
			fmt.Fprintf(&b, ", Path suffix: %s", t.Suffix)
		}
		if t.Type != "" {
			fmt.Fprintf(&b, ", Type: %s", t.Type)
		}
	case config.KindService:
		fmt.Fprintf(&b, "Executing Service Analysis: (Service: %s", t.Type)
	default:
		return fmt.Sprintf("Executing Subscriber fetch: (Type and SQS: %s %s)", t.Type, t.Queue)
	}
	if len(t.AccountIDs) > 0 {
		fmt.Fprintf(&b, ", Account ID: %s", strings.Join(t.AccountIDs, ","))
	}
	if t.AccountAlias != "" {
		fmt.Fprintf(&b, ", Account Alias: %s", t.AccountAlias)
	}
	if t.OrganizationID != "" {
		fmt.Fprintf(&b, ", Organization ID: %s", t.OrganizationID)
	}
	if t.Profile != "" {
		fmt.Fprintf(&b, ", Profile: %s", t.Profile)
	}
	b.WriteString(")")
	return b.String()
}

// reportCode logs a non-zero exit code the way wm_aws.c does.
func reportCode(wl *wazuhLog, t config.Target, code int) {
	title := "Bucket: "
	if t.Kind == config.KindService {
		title = "Service: " + t.Type
	} else if t.Kind == config.KindSubscriber {
		title = "Subscriber: " + t.Type + " " + t.Queue
	}
	if len(t.AccountIDs) > 0 {
		title += " " + strings.Join(t.AccountIDs, ",")
	}
	if t.AccountAlias != "" {
		title += "(" + t.AccountAlias + ")"
	}
	title += "  - "
	wl.line(logging.LevelWarning, fmt.Sprintf("%s Returned exit code %d", title, code))
	switch last := wl.takeLastError(); {
	case code == 1 && last == "":
		wl.line(logging.LevelWarning, title+" Unknown error.")
	case code == 2:
		wl.line(logging.LevelWarning, title+" Error parsing arguments.")
	case last != "":
		wl.line(logging.LevelWarning, title+" "+last)
	}
}
