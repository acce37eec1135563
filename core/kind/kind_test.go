package kind

import (
	"slices"
	"testing"
)

// The script's valid --type values and its tables with their schemas
// (reference-wodle.md §2.3): the table must hold exactly these.
func TestReferenceTypes(t *testing.T) {
	want := map[string]struct {
		table  string
		schema Schema
	}{
		"cloudtrail":     {"cloudtrail", SchemaRegion},
		"config":         {"config", SchemaRegion},
		"vpcflow":        {"vpcflow", SchemaVPC},
		"custom":         {"custom", SchemaCustom},
		"guardduty":      {"guardduty", SchemaCustom},
		"cisco_umbrella": {"cisco_umbrella", SchemaCustom},
		"waf":            {"waf", SchemaCustom},
		"alb":            {"alb", SchemaCustom},
		"clb":            {"clb", SchemaCustom},
		"nlb":            {"nlb", SchemaCustom},
		"server_access":  {"s3_server_access", SchemaCustom},
	}
	names := Names()
	if len(names) != len(want) {
		t.Errorf("Names() = %v, want the %d types of the script", names, len(want))
	}
	for _, n := range names {
		w, ok := want[n]
		if !ok {
			t.Errorf("type %q is not one of the script's", n)
			continue
		}
		k, ok := Lookup(n)
		if !ok || k.Name != n {
			t.Fatalf("Lookup(%q) = %v, %v", n, k, ok)
		}
		if k.Table != w.table || k.Schema != w.schema {
			t.Errorf("%s: table %q schema %v, want %q %v", n, k.Table, k.Schema, w.table, w.schema)
		}
	}
	if _, ok := Lookup(Default); !ok {
		t.Errorf("Default %q has no entry", Default)
	}
	for _, bad := range []string{"", "CloudTrail", "inspector", "s3_server_access"} {
		if _, ok := Lookup(bad); ok {
			t.Errorf("Lookup(%q) found a type", bad)
		}
	}
}

// Every entry must carry what the packages that read it need.
func TestEntries(t *testing.T) {
	var tables []string
	for _, k := range table {
		if slices.Contains(tables, k.Table) {
			t.Errorf("%s: table %q used twice", k.Name, k.Table)
		}
		tables = append(tables, k.Table)
		if k.Iterates() != (k.Service != "") {
			t.Errorf("%s: family %d with service %q", k.Name, k.Family, k.Service)
		}
		if k.DateFormat != SlashDate && k.DateFormat != DashDate {
			t.Errorf("%s: date format %q", k.Name, k.DateFormat)
		}
		if k.LateArrival && k.Window {
			t.Errorf("%s: both LateArrival and Window", k.Name)
		}
		if (k.Parser == ParseRecords) != (k.Records != "") {
			t.Errorf("%s: parser %d with records field %q", k.Name, k.Parser, k.Records)
		}
		fromEvent := k.Parser == ParseCustom || k.Parser == ParseGuardDuty
		if k.Source == "" && !fromEvent {
			t.Errorf("%s: parser %d needs a source", k.Name, k.Parser)
		}
		if k.Reformat == ReformatGuardDuty && k.Source == "" {
			t.Errorf("%s: port-probe splitting needs the findings' source", k.Name)
		}
		if k.AWSLogsBucket && k.Family != AWSLogs {
			t.Errorf("%s: an AWSLogs bucket outside the AWSLogs family", k.Name)
		}
	}
}

// The fuzz seeds of package event give their "*" documents to the first
// five types: those must cover every reformatting.
func TestFirstFiveReformat(t *testing.T) {
	var seen []Reformat
	for _, k := range table[:5] {
		if !slices.Contains(seen, k.Reformat) {
			seen = append(seen, k.Reformat)
		}
	}
	if len(seen) != int(ReformatGuardDuty)+1 {
		t.Errorf("first five types reformat as %v, want every Reformat", seen)
	}
}

func TestSchemaString(t *testing.T) {
	for s, want := range map[Schema]string{SchemaRegion: "region", SchemaVPC: "vpc", SchemaCustom: "custom", 7: "Schema(7)"} {
		if got := s.String(); got != want {
			t.Errorf("Schema(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}
