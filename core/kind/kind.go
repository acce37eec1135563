// Package kind is the table of bucket types: one entry per value of the
// script's --type, holding everything that differs between types.
//
// Each entry says
//
//   - where the type keeps its objects: its key layout (Family, Service),
//     the dates in its keys and markers (DateFormat, DateRe, DayFolder,
//     UnpaddedDates, MarkerDelimiter) and how far a listing rewinds
//     (LateArrival, Window); package layout reads these;
//   - how its objects are parsed (Parser, Records, Source); package decode;
//   - how its events are reformatted (Reformat, AWSLogsBucket); package event;
//   - its state table and the shape of that table's rows and queries
//     (Table, Schema); package state;
//   - its validation rule: a type is valid when it has an entry (Lookup);
//     package config.
//
// The table sits at the bottom of the import graph and imports nothing of
// the project. Behaviour is named, not held: Parser, Reformat, Family and
// Schema are small enumerations that the package owning the behaviour
// turns into code (decode has one parser per Parser, event one reformatter
// per Reformat). Function values would make this package import decode's
// and event's types, or force those packages to register themselves at
// init; an enumeration keeps the dependencies one-way and the table a
// plain literal. Nothing outside this package compares a type's name.
//
// Adding a type that reuses existing behaviour is adding one entry here,
// plus tests. A type with a new parser or reformatting also adds the
// enumeration value and its case in the owning package.
package kind

import (
	"regexp"
	"strconv"
)

// Family groups types that share a key layout.
type Family int

const (
	// AWSLogs: P AWSLogs/ S [O/] <account>/<Service>/<region>/YYYY/MM/DD/...
	AWSLogs Family = iota
	// LoadBalancer: P AWSLogs/ S <account>/elasticloadbalancing/<region>/YYYY/MM/DD/...
	LoadBalancer
	// Custom: P YYYY/MM/DD/... (no accounts, no regions)
	Custom
)

// Schema is the shape of a type's state table: its columns, its primary
// key and so the WHERE clause selecting one group (reference-wodle.md §2.3).
type Schema int

const (
	// SchemaRegion (schema R): rows keyed by bucket path, account, region
	// and key.
	SchemaRegion Schema = iota
	// SchemaVPC (schema V): schema R plus the flow-log id; its listings go
	// one flow log at a time.
	SchemaVPC
	// SchemaCustom (schema C): no region column, a group is bucket path
	// and account only.
	SchemaCustom
)

func (s Schema) String() string {
	switch s {
	case SchemaRegion:
		return "region"
	case SchemaVPC:
		return "vpc"
	case SchemaCustom:
		return "custom"
	}
	return "Schema(" + strconv.Itoa(int(s)) + ")"
}

// Parser names the decode parser of a type.
type Parser int

const (
	ParseRecords      Parser = iota // a JSON document whose Records field lists the events
	ParseVPC                        // space-separated flow-log lines
	ParseCustom                     // concatenated JSON objects (Firehose)
	ParseGuardDuty                  // JSON lines in .jsonl.gz objects, else ParseCustom
	ParseWAF                        // WAF JSON lines
	ParseALB                        // application load-balancer lines
	ParseCLB                        // classic load-balancer lines
	ParseNLB                        // network load-balancer lines
	ParseServerAccess               // S3 server access lines
	ParseUmbrella                   // Cisco Umbrella CSV
)

// Reformat names the event reformatting of a type.
type Reformat int

const (
	ReformatBase Reformat = iota
	ReformatCloudTrail
	ReformatConfig
	ReformatCustom
	ReformatGuardDuty
)

// Kind is one bucket type.
type Kind struct {
	Name string // --type value, lower-case

	// Key layout and markers.
	Family  Family
	Service string // folder after the account (AWSLogs and LoadBalancer families)
	// DateFormat is the Go layout of dates in keys and markers.
	DateFormat string
	// DateRe, when set, must first match exactly at the end of the full
	// prefix for a key to belong to the type (the reference's check_prefix).
	DateRe *regexp.Regexp
	// LateArrival types rewind their start marker one day, as the
	// reference does (to the day before the first date in the last key),
	// and look their last key up under the listing prefix.
	LateArrival bool
	// Window types get the same one-day rewind here although the
	// reference started right after the last key: an object delivered
	// with a key that sorts before it (late VPC batches, a second
	// Firehose stream, an hour folder filled late) was never read. The
	// date is looked for after the listing prefix only.
	Window bool
	// MarkerDelimiter replaces "/" after the prefix in markers (server access).
	MarkerDelimiter string
	// DayFolder, when set, cuts the start marker back to the day folder it
	// matches (GuardDuty); such a type also looks its last key up under
	// the listing prefix, as LateArrival types do.
	DayFolder *regexp.Regexp
	// UnpaddedDates: month and day folders are not zero-padded (Config),
	// so keys do not sort by date: a listing starts at the year folder,
	// each page is sorted by the date in its keys, and no recorded key is
	// a floor for the listing.
	UnpaddedDates bool
	// CheckAWSLogs: the bucket must hold an AWSLogs folder under the
	// prefix, or the type is the wrong one (the script's GuardDuty check).
	CheckAWSLogs bool
	// Flat: objects sit directly under the prefix, not in folders (server
	// access): the bucket check accepts a plain object, and skipping a
	// processed object is logged at level 2, not 1, as the script did.
	Flat bool

	// Parsing.
	Parser  Parser
	Records string // ParseRecords: the field listing the events
	// Source is the "source" of the type's events. The parser sets it,
	// but for ParseCustom and ParseGuardDuty, which take it from the
	// event; ReformatGuardDuty splits the port-probe findings of Source.
	Source string

	// Reformatting.
	Reformat Reformat
	// AWSLogsBucket: the reference's AWSLogsBucket types. Their messages
	// carry aws.aws_account_id, their bucket_path includes the path
	// suffix and their created_date comes from the file name.
	AWSLogsBucket bool

	// State.
	Table  string
	Schema Schema
}

// Iterates reports whether the type's listings go account by account and
// region by region.
func (k *Kind) Iterates() bool { return k.Family != Custom }

var (
	slashDate = regexp.MustCompile(`(\d{4}/\d{2}/\d{2})`)
	dashStamp = regexp.MustCompile(`(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})`)
	// guardDutyDay is the day folder of a GuardDuty key or marker.
	guardDutyDay = regexp.MustCompile(`^(.*?/GuardDuty/[^/]+/\d{4}/\d{2}/\d{2}/)`)
)

// Date layouts of keys and markers.
const (
	SlashDate = "2006/01/02"
	DashDate  = "2006-01-02"
)

// Default is the type of a bucket given without one (the script's --type
// default).
const Default = "cloudtrail"

// table: the fuzz seeds of package event index it, so new entries go at
// the end.
var table = []*Kind{
	{Name: "cloudtrail", Family: AWSLogs, Service: "CloudTrail", DateFormat: SlashDate, LateArrival: true,
		Parser: ParseRecords, Records: "Records", Source: "cloudtrail",
		Reformat: ReformatCloudTrail, AWSLogsBucket: true, Table: "cloudtrail", Schema: SchemaRegion},
	{Name: "config", Family: AWSLogs, Service: "Config", DateFormat: SlashDate, UnpaddedDates: true,
		Parser: ParseRecords, Records: "configurationItems", Source: "config",
		Reformat: ReformatConfig, AWSLogsBucket: true, Table: "config", Schema: SchemaRegion},
	{Name: "vpcflow", Family: AWSLogs, Service: "vpcflowlogs", DateFormat: SlashDate, Window: true,
		Parser: ParseVPC, Source: "vpc",
		Reformat: ReformatBase, AWSLogsBucket: true, Table: "vpcflow", Schema: SchemaVPC},
	{Name: "custom", Family: Custom, DateFormat: SlashDate, DateRe: slashDate, Window: true,
		Parser: ParseCustom, Reformat: ReformatCustom, Table: "custom", Schema: SchemaCustom},
	{Name: "guardduty", Family: AWSLogs, Service: "GuardDuty", DateFormat: SlashDate, DateRe: slashDate, Window: true,
		DayFolder: guardDutyDay, CheckAWSLogs: true,
		Parser: ParseGuardDuty, Source: "guardduty", Reformat: ReformatGuardDuty, Table: "guardduty", Schema: SchemaCustom},
	{Name: "waf", Family: Custom, DateFormat: SlashDate, DateRe: slashDate, Window: true,
		Parser: ParseWAF, Source: "waf", Reformat: ReformatCustom, Table: "waf", Schema: SchemaCustom},
	{Name: "alb", Family: LoadBalancer, Service: "elasticloadbalancing", DateFormat: SlashDate, DateRe: slashDate, LateArrival: true,
		Parser: ParseALB, Source: "alb", Reformat: ReformatCustom, Table: "alb", Schema: SchemaCustom},
	{Name: "clb", Family: LoadBalancer, Service: "elasticloadbalancing", DateFormat: SlashDate, DateRe: slashDate, LateArrival: true,
		Parser: ParseCLB, Source: "clb", Reformat: ReformatCustom, Table: "clb", Schema: SchemaCustom},
	{Name: "nlb", Family: LoadBalancer, Service: "elasticloadbalancing", DateFormat: SlashDate, DateRe: slashDate, LateArrival: true,
		Parser: ParseNLB, Source: "nlb", Reformat: ReformatCustom, Table: "nlb", Schema: SchemaCustom},
	{Name: "server_access", Family: Custom, DateFormat: DashDate, DateRe: dashStamp, MarkerDelimiter: "-", Window: true, Flat: true,
		Parser: ParseServerAccess, Source: "s3_server_access", Reformat: ReformatCustom, Table: "s3_server_access", Schema: SchemaCustom},
	{Name: "cisco_umbrella", Family: Custom, DateFormat: DashDate, Window: true,
		Parser: ParseUmbrella, Source: "cisco_umbrella", Reformat: ReformatCustom, Table: "cisco_umbrella", Schema: SchemaCustom},
}

// Lookup returns the kind named name (lower-case, as --type after the
// script's lower()).
func Lookup(name string) (*Kind, bool) {
	for _, k := range table {
		if k.Name == name {
			return k, true
		}
	}
	return nil, false
}

// ByTable returns the kind whose rows live in the state table named t.
func ByTable(t string) (*Kind, bool) {
	for _, k := range table {
		if k.Table == t {
			return k, true
		}
	}
	return nil, false
}

// Names lists the names of every type, in the table's order.
func Names() []string {
	n := make([]string, len(table))
	for i, k := range table {
		n[i] = k.Name
	}
	return n
}
