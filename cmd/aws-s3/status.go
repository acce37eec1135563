package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wazuh/aws-s3-go/core/bucket"
	"github.com/wazuh/aws-s3-go/core/kind"
	"github.com/wazuh/aws-s3-go/core/layout"
	"github.com/wazuh/aws-s3-go/core/state"
)

// statusTimeout bounds a --status run: it only reads two local files, but
// another process may hold their locks.
const statusTimeout = 30 * time.Second

// dbStatus is one state database as --status shows it.
type dbStatus struct {
	Path   string        `json:"path"`
	Exists bool          `json:"exists"`
	Groups []groupStatus `json:"groups"`
}

// groupStatus is one group of rows, with where the next run resumes.
type groupStatus struct {
	Type          string `json:"type"` // bucket type, inspector or cloudwatchlogs
	Table         string `json:"table"`
	BucketPath    string `json:"bucket_path,omitempty"`
	Service       string `json:"service,omitempty"`
	LogGroup      string `json:"log_group,omitempty"`
	Account       string `json:"account,omitempty"`
	Region        string `json:"region,omitempty"`
	FlowLogID     string `json:"flow_log_id,omitempty"`
	Rows          int64  `json:"rows"`
	LastKey       string `json:"last_key"`
	LastProcessed string `json:"last_processed"`
	NextAfter     string `json:"next_after"`
}

// status prints what the state databases under home hold. It never
// writes to them.
func status(home string, asJSON bool, now time.Time, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	var dbs []dbStatus
	for _, path := range []string{bucket.DBPath(home), filepath.Join(home, "wodles", "aws", "aws_services.db")} {
		d := dbStatus{Path: path, Groups: []groupStatus{}}
		groups, err := state.ReadStatus(ctx, path, regionOf)
		switch {
		case errors.Is(err, state.ErrNoDatabase):
		case err != nil:
			fmt.Fprintf(stderr, "%s: --status: %s\n", prog, err)
			return 1
		default:
			d.Exists = true
			for _, g := range groups {
				d.Groups = append(d.Groups, describe(g, now))
			}
		}
		dbs = append(dbs, d)
	}
	if asJSON {
		b, err := json.MarshalIndent(map[string]any{"databases": dbs}, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "%s: --status: %s\n", prog, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	printStatus(stdout, dbs)
	return 0
}

// servicePrefix finds, in a key of an AWSLogs or load-balancer type, the
// listing prefix of its account and region (…/AWSLogs/…/<account>/<service>/<region>/)
// and that region.
func servicePrefix(k *kind.Kind, key string) (full, region string, ok bool) {
	i := strings.Index(key, "AWSLogs/")
	if i < 0 || k.Service == "" {
		return "", "", false
	}
	j := strings.Index(key[i:], "/"+k.Service+"/")
	if j < 0 {
		return "", "", false
	}
	start := i + j + len(k.Service) + 2
	region, _, ok = strings.Cut(key[start:], "/")
	if !ok {
		return "", "", false
	}
	return key[:start+len(region)+1], region, true
}

// regionOf splits the region-less tables of types that iterate regions
// (GuardDuty, load balancers) by the region in their keys.
func regionOf(table, key string) string {
	k, ok := kind.ByTable(table)
	if !ok || !k.Iterates() {
		return ""
	}
	_, region, _ := servicePrefix(k, key)
	return region
}

// describe adds the type and where the group's next run resumes.
func describe(g state.GroupStatus, now time.Time) groupStatus {
	d := groupStatus{Table: g.Table, BucketPath: g.BucketPath, Service: g.Service, LogGroup: g.LogGroup, Account: g.Account,
		Region: g.Region, FlowLogID: g.FlowLogID, Rows: g.Rows, LastKey: g.LastKey, LastProcessed: g.LastProcessed}
	switch g.Table {
	case state.ServicesTable:
		// Inspector lists the findings updated after its newest scan.
		d.Type, d.NextAfter = g.Service, g.LastKey
	case state.CloudWatchTable:
		// Each stream resumes after its own last event; this is the latest.
		d.Type, d.NextAfter = "cloudwatchlogs", g.LastProcessed
	default:
		d.Type, d.NextAfter = g.Table, g.LastKey
		k, ok := kind.ByTable(g.Table)
		if !ok {
			break
		}
		d.Type = k.Name
		var full string
		if k.Iterates() {
			if full, _, ok = servicePrefix(k, g.LastKey); !ok {
				break
			}
		} else {
			_, full, _ = strings.Cut(g.BucketPath, "/")
		}
		// The marker the collector computes from the last key when no
		// only_logs_after is later (late-arrival types rewind a day).
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		if st, err := (layout.Layout{Kind: k}).StartAfter(full, g.LastKey, time.Time{}, today, false); err == nil {
			d.NextAfter = st.After
		}
	}
	return d
}

// printStatus writes the table a person reads: one aligned line per group,
// its last key and next start below it.
func printStatus(w io.Writer, dbs []dbStatus) {
	head := []string{"TYPE", "SOURCE", "ACCOUNT", "REGION", "ROWS", "LAST PROCESSED (UTC)"}
	for i, d := range dbs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if !d.Exists {
			fmt.Fprintf(w, "%s: none (no run has written it yet)\n", d.Path)
			continue
		}
		fmt.Fprintf(w, "%s: %d groups\n", d.Path, len(d.Groups))
		if len(d.Groups) == 0 {
			continue
		}
		rows := [][]string{head}
		for _, g := range d.Groups {
			src := g.BucketPath
			switch {
			case g.LogGroup != "":
				src = "log group " + g.LogGroup
			case g.Service != "":
				src = "-"
			case g.FlowLogID != "":
				src += " (" + g.FlowLogID + ")"
			}
			rows = append(rows, []string{g.Type, src, dash(g.Account), dash(g.Region), strconv.FormatInt(g.Rows, 10), dash(g.LastProcessed)})
		}
		width := make([]int, len(head))
		for _, r := range rows {
			for c, cell := range r {
				width[c] = max(width[c], len(cell))
			}
		}
		for n, r := range rows {
			var b strings.Builder
			for c, cell := range r {
				if c == 4 { // ROWS, right-aligned
					fmt.Fprintf(&b, "%*s  ", width[c], cell)
				} else if c < len(r)-1 {
					fmt.Fprintf(&b, "%-*s  ", width[c], cell)
				} else {
					b.WriteString(cell)
				}
			}
			fmt.Fprintln(w, b.String())
			if n == 0 {
				continue
			}
			g := d.Groups[n-1]
			switch g.Table {
			case state.ServicesTable:
				fmt.Fprintf(w, "    next run: findings updated after %s\n", g.NextAfter)
			case state.CloudWatchTable:
				fmt.Fprintf(w, "    last stream: %s\n    next run: each stream after its last event (latest %s)\n", g.LastKey, dash(g.NextAfter))
			default:
				fmt.Fprintf(w, "    last key:   %s\n    next after: %s\n", g.LastKey, g.NextAfter)
			}
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
