// Package service runs the script's service mode: <service
// type="cloudwatchlogs"> (CloudWatch Logs events sent raw) and <service
// type="inspector"> (Inspector v2 findings), one region after the other,
// with their state in <home>/wodles/aws/aws_services.db in the reference's
// tables (reference-wodle.md §2.9, §8).
//
// Unlike the reference, which commits its database once at the end of a
// run, CloudWatch progress is committed after every page of events the
// sink accepted, so an interrupted run resends nothing it recorded and
// records nothing it did not deliver.
package service

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wazuh/aws-s3-go/core/awsclient"
	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/state"
)

// Env is what a service run needs from its host.
type Env struct {
	// host.Env is what every runner gets from its host; a service run
	// counts only the events the sink accepted in its Stats.
	host.Env
	// Loc is the zone finding timestamps are rendered in. botocore gives
	// them in the host's local zone (and the script then appends "Z" to
	// createdAt/updatedAt regardless); nil means time.Local.
	Loc *time.Location
	// AWSConfig is the file the script reads a default region from when
	// no regions are configured; "" means ~/.aws/config.
	AWSConfig string
}

// DBPath is where the services' state database lives.
func DBPath(home string) string { return filepath.Join(home, "wodles", "aws", "aws_services.db") }

// Run processes service target t once. A nil error means success; a
// *host.Error, *awsclient.Error, *state.Error or *send.Error says what
// failed; a cancelled ctx returns ctx's error with the progress made so
// far saved; other errors are failures the script did not expect.
func Run(ctx context.Context, t config.Target, env Env) error {
	if env.Log == nil {
		env.Log = logging.Discard{}
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Loc == nil {
		env.Loc = time.Local
	}
	if env.Stats == nil {
		env.Stats = &host.Stats{}
	}
	if env.Sink == nil {
		return errors.New("service: no sink")
	}
	var supported []string
	switch t.Type {
	case "cloudwatchlogs":
		supported = config.AllRegions
	case "inspector":
		supported = config.InspectorRegions
	default:
		return host.Errorf(host.InvalidType, "Invalid type of service")
	}
	regions := t.Regions
	if len(regions) == 0 {
		regions = defaultRegions(t, env, supported)
	}
	// Checked before anything runs: the script checked each region when
	// it reached it, after the earlier regions were done; the outcome
	// (exit 22) is the same and nothing is half done.
	for _, r := range regions {
		if !slices.Contains(supported, r) {
			word := "Invalid"
			if t.Type == "inspector" {
				word = "Unsupported"
			}
			env.Log.Debug(1, fmt.Sprintf("+++ ERROR: %s region '%s'", word, r))
			return host.Errorf(host.InvalidRegion, "%s region '%s'", word, r)
		}
	}

	if t.AccessKey != "" && t.SecretKey != "" {
		env.Log.Print("The access_key and secret_key authentication parameter was deprecated in 4.4. Please use another authentication method instead. Check https://documentation.wazuh.com/current/amazon/services/prerequisites/credentials.html for more information.")
	}
	clients, err := awsclient.New(ctx, t)
	if err != nil {
		return awsclient.AccessError(err)
	}
	if err := clients.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return awsclient.Errorf(awsclient.Credentials, err, "Access error: %s", err)
	}

	version := env.Version
	if version == "" {
		if version, err = state.WazuhVersion(ctx, env.Home); err != nil {
			return &host.Error{Kind: host.Failed, Msg: err.Error(), Err: err}
		}
	}
	db, err := openDB(ctx, DBPath(env.Home), version, env.Log)
	if err != nil {
		return err
	}
	defer db.close()

	switch t.Type {
	case "cloudwatchlogs":
		return runCloudWatch(ctx, t, env, clients, db, regions)
	default:
		return runInspector(ctx, t, env, clients, db, regions)
	}
}

// defaultRegions is the script's choice when no region is configured: the
// "region" of the profile's section in ~/.aws/config (the section named
// exactly as the profile, or "default"), else every supported region.
func defaultRegions(t config.Target, env Env, supported []string) []string {
	path := env.AWSConfig
	if path == "" {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, ".aws", "config")
		}
	}
	profile := t.Profile
	if profile == "" {
		profile = "default"
	}
	if r, ok := iniValue(path, profile, "region"); ok {
		return []string{r}
	}
	if t.Type == "inspector" {
		env.Log.Debug(1, "+++ Warning: No regions were specified, trying to get events from supported regions")
	} else {
		env.Log.Debug(1, "+++ Warning: No regions were specified, trying to get events from all regions")
	}
	return supported
}

// iniValue reads key from section of an INI file the way Python's
// configparser does for the simple files ~/.aws/config holds: section
// names are case-sensitive, keys are not, "=" or ":" separate, lines
// starting with "#" or ";" are comments, indented lines continue a value.
func iniValue(path, section, key string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in, found := false, false
	var val string
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if found {
				val += "\n" + trimmed // a continuation of the value just read
			}
			continue
		}
		if found {
			break
		}
		if strings.HasPrefix(trimmed, "[") && strings.HasSuffix(trimmed, "]") {
			in = trimmed[1:len(trimmed)-1] == section
			continue
		}
		if !in {
			continue
		}
		i := strings.IndexAny(trimmed, "=:")
		if i < 0 {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(trimmed[:i]), key) {
			val, found = strings.TrimSpace(trimmed[i+1:]), true
		}
	}
	return val, found
}

// isCredentials reports a failure to obtain credentials for a call.
func isCredentials(err error) bool {
	var se *v4.SigningError
	return errors.As(err, &se) || strings.Contains(err.Error(), "get identity:")
}

// cancelled returns ctx's error when err is the consequence of ctx ending.
func cancelled(ctx context.Context, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return ctx.Err()
	}
	return nil
}
