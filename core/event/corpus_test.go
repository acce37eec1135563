package event

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

const corpusDir = "/work/shared/corpus"

var logFileRE = regexp.MustCompile(`"log_file": "((?:[^"\\]|\\.)*)"`)

// TestCorpus rebuilds the messages of the reference corpus for the types
// whose objects are plain JSON (cloudtrail, config, native GuardDuty
// .jsonl.gz), with a minimal parser standing in for core/decode, and
// compares them byte for byte with what the Python script sent, including
// the discard scenarios.
func TestCorpus(t *testing.T) {
	scenarios, _ := filepath.Glob(filepath.Join(corpusDir, "*", "scenario.json"))
	if len(scenarios) == 0 {
		t.Skip("no corpus at " + corpusDir)
	}
	checked := 0
	for _, sc := range scenarios {
		var s struct {
			Name  string            `json:"name"`
			Type  string            `json:"type"`
			Env   map[string]string `json:"env"`
			Steps []struct {
				Argv []string `json:"argv"`
				Run  int      `json:"run"`
			} `json:"steps"`
		}
		raw, err := os.ReadFile(sc)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		if s.Type != "cloudtrail" && s.Type != "config" && s.Type != "guardduty" {
			continue
		}
		dir := filepath.Dir(sc)
		t.Run(s.Name, func(t *testing.T) {
			n := checkScenario(t, dir, s.Type, s.Env["TZ"], s.Steps[len(s.Steps)-1].Argv)
			t.Logf("%d objects reproduced", n)
			checked += n
		})
	}
	if checked == 0 {
		t.Fatal("no corpus object was checked")
	}
}

func argValue(argv []string, name string) string {
	for i := 0; i+1 < len(argv); i++ {
		if argv[i] == name {
			return argv[i+1]
		}
	}
	return ""
}

func checkScenario(t *testing.T, dir, typ, tz string, argv []string) int {
	loc := time.UTC
	if tz != "" && tz != "UTC" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			t.Skip(err)
		}
		loc = l
	}
	var disc *Discard
	if f := argValue(argv, "--discard-field"); f != "" {
		p := argValue(argv, "--discard-regex")
		disc = NewDiscard(f, p, regexp.MustCompile(`^(?:`+p+`)`))
	}

	// Expected datagrams per object key, per run that sent any (an object
	// may be uploaded again with other content between runs).
	expected := map[string][][]string{}
	runs, _ := filepath.Glob(filepath.Join(dir, "expected", "run*", "messages.ndjson"))
	for _, r := range runs {
		data, err := os.ReadFile(r)
		if err != nil {
			t.Fatal(err)
		}
		perRun := map[string][]string{}
		for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
			m := logFileRE.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			perRun[m[1]] = append(perRun[m[1]], line)
		}
		for k, v := range perRun {
			expected[k] = append(expected[k], v)
		}
	}

	// A key may be uploaded several times (later content, not necessarily
	// read by any run): one version must reproduce one run's messages.
	matched := map[string]bool{}
	mismatch := map[string][2][]string{}
	objects, _ := filepath.Glob(filepath.Join(dir, "objects", "*"))
	for _, up := range objects {
		filepath.Walk(up, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			key := filepath.ToSlash(strings.TrimPrefix(path, up+string(filepath.Separator)))
			wants, ok := expected[key]
			if !ok || strings.Contains(wants[0][0], `"error_msg"`) {
				return nil
			}
			want := wants[0]
			events, ok := loadEvents(t, path, key, typ)
			if !ok {
				return nil
			}
			account := accountOf(key)
			var got []string
			log := &recLog{level: 2}
			for _, ev := range events {
				if disc.Skip(ev, log) {
					continue
				}
				li, _ := logInfo(want[0])
				b := &Builder{Type: typ, Bucket: li.S3bucket, Alias: li.Alias, Loc: loc, Log: log}
				msgs, err := b.Messages(key, account, ev)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				for _, m := range msgs {
					got = append(got, datagram(m))
				}
			}
			for _, w := range wants {
				if strings.Join(got, "\n") == strings.Join(w, "\n") {
					matched[key] = true
					return nil
				}
			}
			mismatch[key] = [2][]string{got, want}
			return nil
		})
	}
	for key, gw := range mismatch {
		if matched[key] {
			continue
		}
		got, want := gw[0], gw[1]
		if len(got) != len(want) {
			t.Errorf("%s: got %d messages, want %d", key, len(got), len(want))
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s message %d:\ngot  %s\nwant %s", key, i, got[i], want[i])
			}
		}
	}
	return len(matched)
}

var accountRE = regexp.MustCompile(`/(\d{12})/(?:CloudTrail|Config|GuardDuty)/`)

func accountOf(key string) string {
	m := accountRE.FindStringSubmatch("/" + key)
	if m == nil {
		return ""
	}
	return m[1]
}

type logInfoT struct {
	Alias    string `json:"aws_account_alias"`
	S3bucket string `json:"s3bucket"`
}

func logInfo(datagram string) (logInfoT, error) {
	var m struct {
		AWS struct {
			LogInfo logInfoT `json:"log_info"`
		} `json:"aws"`
	}
	err := json.Unmarshal([]byte(strings.TrimPrefix(datagram, Header)), &m)
	return m.AWS.LogInfo, err
}

func loadEvents(t *testing.T, path, key, typ string) ([]*pyjson.Object, bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(key, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, false
		}
		if raw, err = io.ReadAll(zr); err != nil {
			return nil, false
		}
	}
	var out []*pyjson.Object
	switch typ {
	case "cloudtrail", "config":
		field, source := "Records", "cloudtrail"
		if typ == "config" {
			field, source = "configurationItems", "config"
		}
		v, err := parseValue(string(raw))
		if err != nil {
			return nil, false
		}
		doc, ok := v.(*pyjson.Object)
		if !ok {
			return nil, false
		}
		items, ok := doc.Get(field)
		if !ok {
			return nil, false
		}
		for _, it := range items.([]pyjson.Value) {
			o := it.(*pyjson.Object)
			o.Set("source", source)
			out = append(out, o)
		}
	case "guardduty":
		if !strings.HasSuffix(key, ".jsonl.gz") {
			return nil, false
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			v, err := parseValue(sc.Text())
			if err != nil {
				return nil, false
			}
			o := v.(*pyjson.Object)
			svc, _ := o.Get("service")
			name, _ := svc.(*pyjson.Object).Get("serviceName")
			o.Set("source", name)
			out = append(out, o)
		}
	}
	return out, true
}
