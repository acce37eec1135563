package config

import (
	"fmt"
	"github.com/wazuh/aws-s3-go/core/pyjson"
	"strconv"
	"strings"

	"github.com/wazuh/aws-s3-go/core/kind"
)

// ArgvError is how the script ends when its command line is unusable or
// asks for help: what it prints. Error() is the bare message.
type ArgvError struct {
	Kind   ArgvKind
	Stdout string
	Stderr string
	Msg    string
}

func (e *ArgvError) Error() string { return e.Msg }

// ArgvKind is why ParseArgv ended the script.
type ArgvKind int

const (
	// ArgvUsage: argparse rejected the command line (usage and message
	// on stderr).
	ArgvUsage ArgvKind = iota
	// ArgvHelp: -h/--help (the help text on stdout).
	ArgvHelp
	// ArgvInvalid: a check the script made after parsing failed
	// ("ERROR: Unknown error: ..." on stdout).
	ArgvInvalid
)

type argKind int

const (
	argValue argKind = iota
	argFlag
	argHelp
)

// option is one add_argument of aws_tools.py, in the order it was added
// (which is the order of argparse's messages and help).
type option struct {
	short, long, dest, help string
	kind                    argKind
}

// extension reports an option the script did not have: long only, and
// matched only in full, so that the script's abbreviations and their
// ambiguity messages stay what they were.
func (o *option) extension() bool { return o.short == "" }

func (o *option) name() string {
	if o.short == "" {
		return o.long
	}
	return o.short + "/" + o.long
}

var options = []*option{
	{"-h", "--help", "help", "show this help message and exit", argHelp},
	{"-b", "--bucket", "logBucket", "Specify the S3 bucket containing AWS logs", argValue},
	{"-sr", "--service", "service", "Specify the name of the service", argValue},
	{"-sb", "--subscriber", "subscriber", "Specify the type of the subscriber", argValue},
	{"-q", "--queue", "queue", "Specify the name of the SQS", argValue},
	{"-O", "--aws_organization_id", "aws_organization_id", "AWS organization ID for logs", argValue},
	{"-c", "--aws_account_id", "aws_account_id", "AWS Account ID for logs", argValue},
	{"-d", "--debug", "debug", "Enable debug", argValue},
	{"-a", "--access_key", "access_key", "S3 Access key credential. The access_key authentication parameter was deprecated in 4.4. Please use another authentication method instead. Check https://documentation.wazuh.com/current/amazon/services/prerequisites/credentials.html for more information.", argValue},
	{"-k", "--secret_key", "secret_key", "S3 Access key credential. The secret_key authentication parameter was deprecated in 4.4. Please use another authentication method instead. Check https://documentation.wazuh.com/current/amazon/services/prerequisites/credentials.html for more information.", argValue},
	{"-R", "--remove", "deleteFile", "Remove processed files from the AWS S3 bucket", argFlag},
	{"-p", "--aws_profile", "aws_profile", "The name of credential profile to use", argValue},
	{"-x", "--external_id", "external_id", "The name of the External ID to use", argValue},
	{"-i", "--iam_role_arn", "iam_role_arn", "ARN of IAM role to assume for access to S3 bucket", argValue},
	{"-n", "--aws_account_alias", "aws_account_alias", "AWS Account ID Alias", argValue},
	{"-l", "--trail_prefix", "trail_prefix", "Log prefix for S3 key", argValue},
	{"-L", "--trail_suffix", "trail_suffix", "Log suffix for S3 key", argValue},
	{"-s", "--only_logs_after", "only_logs_after", "Only parse logs after this date - format YYYY-MMM-DD", argValue},
	{"-r", "--regions", "regions", "Comma delimited list of AWS regions to parse logs", argValue},
	{"-e", "--skip_on_error", "skip_on_error", "If fail to parse a file, error out instead of skipping the file", argFlag},
	{"-o", "--reparse", "reparse", "Parse the log file, even if its been parsed before", argFlag},
	{"-t", "--type", "type", "Bucket type.", argValue},
	{"-g", "--aws_log_groups", "aws_log_groups", "Name of the log group to be parsed", argValue},
	{"-P", "--remove-log-streams", "deleteLogStreams", "Remove processed log streams from the log group", argFlag},
	{"-df", "--discard-field", "discard_field", "The name of the event field where the discard_regex should be applied to determine if an event should be skipped.", argValue},
	{"-dr", "--discard-regex", "discard_regex", "REGEX value to be applied to determine whether an event should be skipped.", argValue},
	{"-st", "--sts_endpoint", "sts_endpoint", "URL for the VPC endpoint to use to obtain the STS token.", argValue},
	{"-se", "--service_endpoint", "service_endpoint", "URL for the endpoint to use to obtain the logs.", argValue},
	{"-rd", "--iam_role_duration", "iam_role_duration", "The duration, in seconds, of the role session. Value can range from 900s to the max session duration set for the role.", argValue},
	// Not in the script: timeouts of every AWS call (botocore's defaults).
	{"", "--connect-timeout", "connect_timeout", "Seconds to wait for a connection to AWS (TCP and TLS), 1 to 3600. Default: 60.", argValue},
	{"", "--read-timeout", "read_timeout", "Seconds to wait for a response, or for more of its body, 1 to 3600. Default: 60.", argValue},
}

// optionStrings lists every option string in argparse's registration order.
func optionStrings() []struct {
	s string
	o *option
} {
	var out []struct {
		s string
		o *option
	}
	for _, o := range options {
		if o.short != "" {
			out = append(out, struct {
				s string
				o *option
			}{o.short, o})
		}
		out = append(out, struct {
			s string
			o *option
		}{o.long, o})
	}
	return out
}

func lookup(s string) *option {
	for _, e := range optionStrings() {
		if e.s == s {
			return e.o
		}
	}
	return nil
}

// match is argparse's classification of one argument.
type match struct {
	opt      *option // nil: unknown option
	str      string  // option string as matched
	explicit *string // value given in the same argument
}

// classify is argparse's _parse_optional (Python 3.11): nil means a
// positional argument.
func classify(arg string) (*match, error) {
	if arg == "" || arg[0] != '-' {
		return nil, nil
	}
	if o := lookup(arg); o != nil {
		return &match{opt: o, str: arg}, nil
	}
	if len(arg) == 1 {
		return nil, nil
	}
	if k, v, ok := strings.Cut(arg, "="); ok {
		if o := lookup(k); o != nil {
			return &match{opt: o, str: k, explicit: &v}, nil
		}
	}
	var found []*match
	if len(arg) > 1 && arg[1] == '-' {
		prefix, val, hasVal := strings.Cut(arg, "=")
		for _, e := range optionStrings() {
			if strings.HasPrefix(e.s, prefix) && !e.o.extension() {
				m := &match{opt: e.o, str: e.s}
				if hasVal {
					m.explicit = &val
				}
				found = append(found, m)
			}
		}
	} else {
		short, rest := arg[:2], arg[2:]
		for _, e := range optionStrings() {
			if e.s == short {
				v := rest
				found = append(found, &match{opt: e.o, str: e.s, explicit: &v})
			} else if strings.HasPrefix(e.s, arg) {
				found = append(found, &match{opt: e.o, str: e.s})
			}
		}
	}
	if len(found) > 1 {
		var names []string
		for _, m := range found {
			names = append(names, m.str)
		}
		return nil, fmt.Errorf("ambiguous option: %s could match %s", arg, strings.Join(names, ", "))
	}
	if len(found) == 1 {
		return found[0], nil
	}
	if isNegativeNumber(arg) || strings.Contains(arg, " ") {
		return nil, nil
	}
	return &match{str: arg}, nil
}

func isNegativeNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && strings.HasPrefix(s, "-") && strings.Trim(s[1:], "0123456789.") == ""
}

// pyRepr is Python's repr of an argument: Python decoded argv with
// surrogateescape, so a byte that is not UTF-8 prints as \udcxx.
func pyRepr(s string) string { return pyjson.ReprString(pyjson.SurrogateEscape(s)) }

// ParseArgv parses the script's arguments (without the program name) as
// aws_tools.get_script_arguments and the start of main did, prog being
// the program name argparse prints ("aws-s3"). On failure it returns an
// *ArgvError carrying the script's output: ArgvUsage with the argparse
// usage and message on stderr, ArgvInvalid with "ERROR: Unknown error:
// ..." on stdout for the checks made after parsing, and ArgvHelp with the
// help text on stdout for -h/--help. Region membership and the bucket type
// are run-time checks left to the caller, as in the script.
func ParseArgv(prog string, args []string) (Target, error) {
	usage := "usage: usage: " + prog + " [options]\n"
	argErr := func(msg string) error {
		return &ArgvError{Kind: ArgvUsage, Stderr: usage + prog + ": error: " + msg + "\n", Msg: msg}
	}
	// Classify every argument first: argparse reports an ambiguous
	// option before anything else.
	matches := make([]*match, len(args))
	for i, a := range args {
		if a == "--" {
			break
		}
		m, err := classify(a)
		if err != nil {
			return Target{}, argErr(err.Error())
		}
		matches[i] = m
	}
	values := map[string]string{}
	seen := map[*option]bool{}
	var extras []string
	group := []*option{lookup("-b"), lookup("-sr"), lookup("-sb")}
	take := func(o *option, v string) error {
		if err := checkType(o, v); err != nil {
			return argErr(fmt.Sprintf("argument %s: %s", o.name(), err))
		}
		seen[o] = true
		for _, g := range group {
			if g == o {
				for _, other := range group {
					if other != o && seen[other] {
						return argErr(fmt.Sprintf("argument %s: not allowed with argument %s", o.name(), other.name()))
					}
				}
			}
		}
		values[o.dest] = v
		return nil
	}
	for i := 0; i < len(args); i++ {
		if args[i] == "--" {
			extras = append(extras, args[i+1:]...)
			break
		}
		m := matches[i]
		if m == nil || m.opt == nil {
			extras = append(extras, args[i])
			continue
		}
		o, explicit := m.opt, m.explicit
		for o.kind != argValue {
			if o.kind == argHelp {
				return Target{}, &ArgvError{Kind: ArgvHelp, Stdout: Help(prog)}
			}
			if explicit == nil {
				break
			}
			// Single-dash flags combine (-Re); anything else after a flag
			// is an error.
			next := ""
			if len(m.str) == 2 && m.str[1] != '-' && *explicit != "" {
				next = "-" + (*explicit)[:1]
			}
			no := lookup(next)
			if no == nil {
				return Target{}, argErr(fmt.Sprintf("argument %s: ignored explicit argument %s", o.name(), pyRepr(*explicit)))
			}
			if err := take(o, "True"); err != nil {
				return Target{}, err
			}
			rest := (*explicit)[1:]
			o, m = no, &match{opt: no, str: next}
			explicit = nil
			if rest != "" {
				explicit = &rest
			}
		}
		var v string
		switch {
		case o.kind != argValue:
			v = "True"
		case explicit != nil:
			v = *explicit
		case i+1 < len(args) && matches[i+1] == nil && args[i+1] != "--":
			i++
			v = args[i]
		default:
			return Target{}, argErr(fmt.Sprintf("argument %s: expected one argument", o.name()))
		}
		if err := take(o, v); err != nil {
			return Target{}, err
		}
	}
	if !seen[group[0]] && !seen[group[1]] && !seen[group[2]] {
		return Target{}, argErr("one of the arguments -b/--bucket -sr/--service -sb/--subscriber is required")
	}
	if len(extras) > 0 {
		return Target{}, argErr("unrecognized arguments: " + strings.Join(extras, " "))
	}
	unknown := func(msg string) error {
		return &ArgvError{Kind: ArgvInvalid, Stdout: "ERROR: Unknown error: " + msg + "\n", Msg: msg}
	}
	if hasKey(values, "iam_role_duration") && !hasKey(values, "iam_role_arn") {
		return Target{}, unknown("Used --iam_role_duration argument but no --iam_role_arn provided.")
	}
	debug := 0
	if v, ok := values["debug"]; ok {
		n, err := pyInt(v)
		if err != nil {
			return Target{}, unknown("invalid literal for int() with base 10: " + pyRepr(v))
		}
		debug = n
	}
	return argvTarget(values, debug)
}

// checkType runs the option's argparse type function.
func checkType(o *option, v string) error {
	var err error
	switch o.dest {
	case "logBucket":
		err = ValidBucketName(v)
	case "queue":
		err = ValidSQSName(v)
	case "aws_account_id":
		_, err = ValidAccountIDs(v)
	case "iam_role_arn":
		err = ValidRoleARN(v)
	case "trail_prefix", "trail_suffix":
		_, err = ValidKey(v, true)
	case "aws_log_groups":
		_, err = ValidKey(v, false)
	case "only_logs_after":
		_, err = ValidDate(v)
	case "regions":
		_, err = ValidRegions(v)
	case "iam_role_duration":
		_, err = ValidDuration(v)
	case "connect_timeout", "read_timeout":
		_, err = ValidTimeout(v)
	}
	return err
}

// pyInt is Python's int(str): surrounding white space, a sign, digits with
// single underscores between them.
func pyInt(s string) (int, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "+") || strings.HasPrefix(t, "-") {
		if strings.HasPrefix(t[1:], "_") {
			return 0, strconv.ErrSyntax
		}
	}
	if strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") {
		return 0, strconv.ErrSyntax
	}
	return strconv.Atoi(strings.ReplaceAll(t, "_", ""))
}

// argvTarget builds the Target from validated option values.
func argvTarget(v map[string]string, debug int) (Target, error) {
	t := Target{
		AccessKey:        Secret(v["access_key"]),
		SecretKey:        Secret(v["secret_key"]),
		Profile:          v["aws_profile"],
		IAMRoleARN:       v["iam_role_arn"],
		OrganizationID:   v["aws_organization_id"],
		AccountAlias:     v["aws_account_alias"],
		DiscardField:     v["discard_field"],
		DiscardRegex:     v["discard_regex"],
		STSEndpoint:      v["sts_endpoint"],
		ServiceEndpoint:  v["service_endpoint"],
		Remove:           v["deleteFile"] == "True",
		SkipOnError:      v["skip_on_error"] == "True",
		Reparse:          v["reparse"] == "True",
		RemoveLogStreams: v["deleteLogStreams"] == "True",
		Queue:            v["queue"],
		ExternalID:       v["external_id"],
		Debug:            debug,
	}
	switch {
	case hasKey(v, "logBucket"):
		t.Kind, t.Bucket = KindBucket, v["logBucket"]
		t.Type = kind.Default
		if ty, ok := v["type"]; ok {
			t.Type = strings.ToLower(ty)
		}
	case hasKey(v, "service"):
		t.Kind, t.Type = KindService, strings.ToLower(v["service"])
	default:
		t.Kind, t.Type = KindSubscriber, strings.ToLower(v["subscriber"])
	}
	if d := v["iam_role_duration"]; d != "" {
		t.IAMRoleDuration, _ = ValidDuration(d)
	}
	if s, ok := v["connect_timeout"]; ok {
		t.ConnectTimeout, _ = ValidTimeout(s)
	}
	if s, ok := v["read_timeout"]; ok {
		t.ReadTimeout, _ = ValidTimeout(s)
	}
	if a, ok := v["aws_account_id"]; ok {
		t.AccountIDs, _ = ValidAccountIDs(a)
	}
	t.Prefix, _ = ValidKey(v["trail_prefix"], true)
	t.Suffix, _ = ValidKey(v["trail_suffix"], true)
	if d, ok := v["only_logs_after"]; ok {
		t.OnlyLogsAfter, _ = ValidDate(d)
	}
	t.Regions, _ = ValidRegions(v["regions"])
	if g := v["aws_log_groups"]; g != "" {
		t.LogGroups = strings.Split(g, ",")
	}
	return t, nil
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// Help returns the script's --help output (argparse, RawTextHelpFormatter,
// 80 columns).
func Help(prog string) string {
	var b strings.Builder
	b.WriteString("usage: usage: " + prog + " [options]\n\nWazuh wodle for monitoring AWS\n\noptions:\n")
	for _, o := range options {
		inv := o.short + ", " + o.long
		if o.kind == argValue {
			meta := strings.ToUpper(o.dest)
			inv = o.short + " " + meta + ", " + o.long + " " + meta
			if o.short == "" {
				inv = o.long + " " + meta
			}
		}
		lines := strings.Split(o.help, "\n")
		if len(inv) <= 20 {
			fmt.Fprintf(&b, "  %-20s  %s\n", inv, lines[0])
		} else {
			fmt.Fprintf(&b, "  %s\n%24s%s\n", inv, "", lines[0])
		}
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "%24s%s\n", "", l)
		}
	}
	return b.String()
}
