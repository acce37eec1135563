package service

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/exit"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// moto's ListFindings ignores the filter and has no pagination, so the
// Inspector run is tested against fakeAWS.

const findingA = `{"findingArn":"arn:a","awsAccountId":"123456789012","type":"PACKAGE_VULNERABILITY","description":"d",` +
	`"title":"t","severity":"HIGH","firstObservedAt":1700000000.123,"lastObservedAt":1700000100,"updatedAt":1700000200.5,` +
	`"status":"ACTIVE","resources":[{"type":"AWS_EC2_INSTANCE","id":"i-1","details":{"awsEc2Instance":{"launchedAt":1600000000}}}],` +
	`"inspectorScore":7.5,"brandNewField":{"at":1700000000}}`

const wantA = `{"integration": "aws", "aws": {"findingArn": "arn:a", "awsAccountId": "123456789012", "type": "PACKAGE_VULNERABILITY", ` +
	`"description": "d", "title": "t", "severity": "HIGH", "firstObservedAt": "2023-11-14 22:13:20.123000+00:00", ` +
	`"lastObservedAt": "2023-11-14 22:15:00+00:00", "updatedAt": "2023-11-14T22:16:40Z", "status": "ACTIVE", ` +
	`"resources": [{"type": "AWS_EC2_INSTANCE", "id": "i-1", "details": {"awsEc2Instance": {"launchedAt": "2020-09-13 12:26:40+00:00"}}}], ` +
	`"inspectorScore": 7.5, "brandNewField": {"at": 1700000000}, "source": "inspector2"}}`

func finding(arn, status string) string {
	return `{"findingArn":"` + arn + `","awsAccountId":"123456789012","status":"` + status + `","updatedAt":1700000000}`
}

func TestInspector(t *testing.T) {
	fake, url := newFake(t)
	hermetic(t, url)
	fake.findings = [][]string{
		{findingA, finding("arn:b", "SUPPRESSED")},
		{finding("arn:c", "ACTIVE")},
	}
	home := t.TempDir()
	tg := config.Target{
		Kind: config.KindService, Type: "inspector", AccessKey: "k", SecretKey: "s",
		Regions: []string{"us-east-2"}, ServiceEndpoint: url, OnlyLogsAfter: "20260301",
		DiscardField: "status", DiscardRegex: "SUPP",
	}
	now := time.Date(2026, 3, 10, 12, 30, 15, 123456000, time.UTC)
	err, got, log := runOnce(t, home, tg, now)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log)
	}
	if len(got) != 2 || got[0] != wantA || !strings.Contains(got[1], `"findingArn": "arn:c"`) {
		t.Fatalf("frames:\n%s", strings.Join(got, "\n"))
	}
	for _, l := range []string{
		`DEBUG: +++ [InspectorV2] The "SUPP" regex found a match in the "status" field. The event will be skipped.`,
		`DEBUG: +++ [InspectorV2] 2 events collected and processed`,
		`DEBUG: +++ Total: 2 events collected and processed in us-east-2`,
		`DEBUG: +++ Attempting to fetch Inspector V2 findings from 2026-03-01 00:00:00`,
	} {
		if !hasLine(log, l) {
			t.Errorf("log lacks %q:\n%s", l, log)
		}
	}
	// Two pages; the window runs from only_logs_after to now.
	if !reflect.DeepEqual(fake.tokens, []string{"", "p1"}) {
		t.Errorf("tokens: %q", fake.tokens)
	}
	var fc struct {
		UpdatedAt []struct{ StartInclusive, EndInclusive float64 }
	}
	if err := json.Unmarshal([]byte(fake.filters[0]), &fc); err != nil || len(fc.UpdatedAt) != 1 {
		t.Fatalf("filter: %s (%v)", fake.filters[0], err)
	}
	if s, e := fc.UpdatedAt[0].StartInclusive, fc.UpdatedAt[0].EndInclusive; s != float64(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Unix()) || e < float64(now.Unix()) || e > float64(now.Unix()+1) {
		t.Errorf("window %v..%v", s, e)
	}

	db := filepath.Join(home, "wodles", "aws", "aws_services.db")
	if ddl := query(t, db, "SELECT sql FROM sqlite_master WHERE name='aws_services'"); len(ddl) != 1 || ddl[0][0] != servicesDDL {
		t.Errorf("DDL: %q", ddl)
	}
	rows := query(t, db, "SELECT * FROM aws_services ORDER BY scan_date")
	want := [][]string{
		{"inspector", "123456789012", "us-east-2", "2026-03-01 00:00:00.0"},
		{"inspector", "123456789012", "us-east-2", "2026-03-10 12:30:15.123456"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows:\n got %q\nwant %q", rows, want)
	}

	// Later runs start at the last scan; five rows are kept.
	fake.findings = nil
	for i := 1; i <= 6; i++ {
		fake.filters = nil
		at := now.Add(time.Duration(i) * time.Hour)
		err, got, log := runOnce(t, home, tg, at)
		if err != nil || len(got) != 0 {
			t.Fatalf("run %d: %v %q\n%s", i, err, got, log)
		}
		if !hasLine(log, `DEBUG: +++ There are no new events in the "us-east-2" region`) {
			t.Errorf("run %d log:\n%s", i, log)
		}
		json.Unmarshal([]byte(fake.filters[0]), &fc)
		prev := at.Add(-time.Hour)
		if i == 1 {
			prev = now
		}
		if d := fc.UpdatedAt[0].StartInclusive - float64(prev.UnixMilli())/1000; d > 0.001 || d < -0.001 {
			t.Errorf("run %d starts at %v, want %v", i, fc.UpdatedAt[0].StartInclusive, prev)
		}
	}
	rows = query(t, db, "SELECT scan_date FROM aws_services ORDER BY scan_date")
	if len(rows) != 5 || rows[4][0] != now.Add(6*time.Hour).Format(scanDateLayout) || rows[0][0] != now.Add(2*time.Hour).Format(scanDateLayout) {
		t.Errorf("kept rows: %q", rows)
	}
}

func TestInspectorUnsupportedRegion(t *testing.T) {
	_, url := newFake(t)
	hermetic(t, url)
	tg := config.Target{Kind: config.KindService, Type: "inspector", Regions: []string{"me-south-1"}}
	err, _, log := runOnce(t, t.TempDir(), tg, time.Now())
	if exitCode(err) != exit.InvalidRegion || !hasLine(log, "DEBUG: +++ ERROR: Unsupported region 'me-south-1'") {
		t.Fatalf("%v\n%s", err, log)
	}
}

func TestFindingMessageService(t *testing.T) {
	// Inspector classic findings carry "service": it becomes "source".
	v, err := pyjson.Unmarshal([]byte(`{"arn":"x","service":"Inspector","createdAt":1700000000,"findingArn":"y"}`))
	if err != nil {
		t.Fatal(err)
	}
	got := string(pyjson.Marshal(findingMessage(v.(*pyjson.Object), time.FixedZone("", 3600))))
	// createdAt is not a member of the v2 Finding shape, so it stays a number.
	want := `{"integration": "aws", "aws": {"arn": "x", "createdAt": 1700000000, "findingArn": "y", "source": "inspector"}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Local zone as botocore's tzlocal: strftime keeps the wall clock.
	v, _ = pyjson.Unmarshal([]byte(`{"findingArn":"y","updatedAt":1700000000,"lastObservedAt":1700000000.5}`))
	got = string(pyjson.Marshal(findingMessage(v.(*pyjson.Object), time.FixedZone("", 3600))))
	want = `{"integration": "aws", "aws": {"findingArn": "y", "updatedAt": "2023-11-14T23:13:20Z", "lastObservedAt": "2023-11-14 23:13:20.500000+01:00", "source": "inspector2"}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
