package config

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/wazuh/aws-s3-go/core/schedule"
)

// Module is a parsed <wodle name="aws-s3"> block: what wm_aws_read builds,
// with every target already validated by the script's own rules.
type Module struct {
	Disabled    bool
	RunOnStart  bool
	SkipOnError bool
	Schedule    schedule.Config
	// Targets holds the buckets (the legacy <bucket> last), then the
	// services, then the subscribers, each in configuration order: the
	// order in which wm_aws_main runs them. Each target's SkipOnError is
	// the module's.
	Targets []Target
}

// DefaultInterval is WM_AWS_DEFAULT_INTERVAL, in seconds.
const DefaultInterval = 5

// node is an element as Wazuh's os_xml sees it: its content is the raw
// text after its last child element (entities are not decoded, comments
// are skipped).
type node struct {
	name     string
	attrs    []xml.Attr
	content  string
	children []*node
}

func (n *node) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// parseTree reads a whole document, or several root elements in a row as in
// ossec.conf.
func parseTree(data []byte) ([]*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.AutoClose = nil
	var roots []*node
	var stack []*node
	var text strings.Builder
	for {
		start := d.InputOffset()
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			return nil, fmt.Errorf("XML syntax error at line %d: %v", line, err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{name: qname(tk.Name), attrs: tk.Attr}
			if len(stack) == 0 {
				roots = append(roots, n)
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			}
			stack = append(stack, n)
			text.Reset()
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].name != qname(tk.Name) {
				line, _ := d.InputPos()
				return nil, fmt.Errorf("XML syntax error at line %d: unexpected </%s>", line, qname(tk.Name))
			}
			stack[len(stack)-1].content = text.String()
			stack = stack[:len(stack)-1]
			text.Reset()
		case xml.CharData:
			// The raw bytes: os_xml does not decode entities.
			text.Write(data[start:d.InputOffset()])
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("XML syntax error: element <%s> not closed", stack[len(stack)-1].name)
	}
	return roots, nil
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// ErrNoModule is returned when the input holds no aws-s3 wodle.
var ErrNoModule = errors.New(`config: no <wodle name="aws-s3"> block found`)

// ParseXML reads the aws-s3 module configuration from a whole ossec.conf
// (any number of <ossec_config> roots and other sections), from a single
// <wodle name="aws-s3"> element, or from a bare fragment of the module's
// child elements. As in Wazuh, a later aws-s3 block replaces an earlier
// one (both are checked); name="aws-cloudtrail" is accepted with the
// reference's deprecation warning.
//
// Warnings, and error lines that precede the final one, are passed to
// report in the order the reference logs them; report may be nil. An
// invalid configuration returns an error (an *Error for the reference's
// own messages) whose text is the last line the reference logs.
func ParseXML(r io.Reader, report func(Message)) (*Module, error) {
	if report == nil {
		report = func(Message) {}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	roots, err := parseTree(data)
	if err != nil {
		return nil, err
	}
	var wodles []*node
	var find func([]*node)
	find = func(ns []*node) {
		for _, n := range ns {
			if n.name == "wodle" && len(n.attrs) > 0 && n.attrs[0].Name.Local == "name" &&
				(n.attrs[0].Value == "aws-s3" || n.attrs[0].Value == "aws-cloudtrail") {
				wodles = append(wodles, n)
				continue
			}
			find(n.children)
		}
	}
	find(roots)
	if len(wodles) == 0 {
		for _, n := range roots {
			if n.name == "ossec_config" || n.name == "agent_config" || n.name == "wodle" {
				return nil, ErrNoModule
			}
		}
		if len(roots) == 0 {
			return nil, ErrNoModule
		}
		return readModule(roots, report)
	}
	var m *Module
	for _, w := range wodles {
		if w.attrs[0].Value == "aws-cloudtrail" {
			report(Message{Level: LevelWarning, Text: "Module name 'aws-cloudtrail' is deprecated. Change it to 'aws-s3'"})
		}
		if m, err = readModule(w.children, report); err != nil {
			return nil, err
		}
	}
	return m, nil
}

const deprecatedKey = "Deprecated tag <%s> found at module 'aws-s3'. This tag was deprecated in 4.4; please use a different authentication method. Check https://documentation.wazuh.com/current/amazon/services/prerequisites/credentials.html for more information."

// readModule is wm_aws_read over the module's child elements.
func readModule(nodes []*node, report func(Message)) (*Module, error) {
	fail := func(tagged bool, elem, format string, args ...any) error {
		return &Error{Tagged: tagged, Elem: elem, Msg: fmt.Sprintf(format, args...)}
	}
	warn := func(tagged bool, format string, args ...any) {
		report(Message{Level: LevelWarning, Tagged: tagged, Text: fmt.Sprintf(format, args...)})
	}
	if len(nodes) == 0 {
		return nil, fail(false, "bucket", "Tag <bucket> not found at module 'aws-s3'.")
	}
	m := &Module{RunOnStart: true, Schedule: schedule.Default(DefaultInterval)}
	yesNo := func(n *node, dst *bool) error {
		switch n.content {
		case "yes":
			*dst = true
		case "no":
			*dst = false
		default:
			return fail(false, n.name, "Invalid content for tag '%s' at module 'aws-s3'.", n.name)
		}
		return nil
	}
	var (
		buckets, services, subscribers []*raw
		legacyName, legacyAccess       string
		legacySecret                   string
		legacyRemove                   bool
		sched                          [][2]string
	)
	for _, n := range nodes {
		var err error
		switch n.name {
		case "disabled":
			err = yesNo(n, &m.Disabled)
		case "run_on_start":
			err = yesNo(n, &m.RunOnStart)
		case "skip_on_error":
			err = yesNo(n, &m.SkipOnError)
		case "remove_from_bucket":
			err = yesNo(n, &legacyRemove)
		case "access_key":
			if n.content != "" {
				legacyAccess = n.content
			}
		case "secret_key":
			if n.content != "" {
				legacySecret = n.content
			}
		case "bucket":
			if len(n.attrs) == 0 {
				if n.content == "" {
					return nil, fail(false, "bucket", "Empty content for tag 'bucket' at module 'aws-s3'.")
				}
				legacyName = n.content
				break
			}
			b := &raw{kind: KindBucket}
			buckets = append(buckets, b)
			if len(n.children) == 0 {
				// The reference skips a typed bucket without children
				// before checking its type; the name check below fails it.
				break
			}
			if n.attrs[0].Name.Local != "type" {
				return nil, fail(true, "bucket", "Attribute name '%s' is not valid. The valid one is 'type'.", n.attrs[0].Name.Local)
			}
			if !validBucketType(n.attrs[0].Value) {
				return nil, invalidBucketType(n.attrs[0].Value)
			}
			b.typ = n.attrs[0].Value
			err = readBucket(n, b, report)
		case "service":
			if len(n.attrs) == 0 {
				return nil, fail(true, "service", "Undefined type for service.")
			}
			if n.attrs[0].Name.Local != "type" {
				return nil, fail(true, "service", "Attribute name '%s' is not valid. The valid one is 'type'.", n.attrs[0].Name.Local)
			}
			if !containsStr(ServiceTypes, n.attrs[0].Value) {
				return nil, invalidServiceType(n.attrs[0].Value)
			}
			s := &raw{kind: KindService, typ: n.attrs[0].Value}
			services = append(services, s)
			err = readService(n, s, report)
		case "subscriber":
			if len(n.attrs) == 0 {
				return nil, fail(true, "subscriber", "Undefined type for subscriber.")
			}
			if n.attrs[0].Name.Local != "type" {
				return nil, fail(true, "subscriber", "Attribute name '%s' is not valid. The valid one is 'type'.", n.attrs[0].Name.Local)
			}
			if !containsStr(SubscriberTypes, n.attrs[0].Value) {
				return nil, invalidSubscriberType(n.attrs[0].Value)
			}
			s := &raw{kind: KindSubscriber, typ: n.attrs[0].Value}
			subscribers = append(subscribers, s)
			err = readSubscriber(n, s, report)
		default:
			if schedule.IsTag(n.name) {
				sched = append(sched, [2]string{n.name, n.content})
				break
			}
			return nil, fail(false, n.name, "No such tag '%s' at module 'aws-s3'.", n.name)
		}
		if err != nil {
			return nil, err
		}
	}
	var schedErr error
	m.Schedule.Read(sched, "aws-s3", func(sm schedule.Message) {
		if sm.Error {
			// The last error line becomes the returned error.
			if schedErr != nil {
				report(Message{Level: LevelError, Text: schedErr.Error()})
			}
			schedErr = &Error{Elem: "schedule", Msg: sm.Text}
			return
		}
		report(Message{Level: LevelWarning, Text: sm.Text})
	})
	if schedErr != nil {
		return nil, schedErr
	}
	if legacyName != "" {
		warn(true, "Deprecated config defined; please use current config definition at module 'aws-s3'.")
		b := &raw{kind: KindBucket, name: legacyName, secretKey: legacySecret, accessKey: legacyAccess, alias: "LEGACY"}
		if legacyAccess == "" {
			b.remove = legacyRemove
		}
		buckets = append(buckets, b)
	}
	if len(buckets)+len(services)+len(subscribers) == 0 {
		return nil, fail(true, "", "No buckets, services or subscribers definitions found at module 'aws-s3'.")
	}
	for _, list := range [][]*raw{buckets, services, subscribers} {
		for _, r := range list {
			t, err := r.target()
			if err != nil {
				return nil, err
			}
			t.SkipOnError = m.SkipOnError
			m.Targets = append(m.Targets, t)
		}
	}
	return m, nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func emptyErr(tag string) error {
	return &Error{Elem: tag, Msg: fmt.Sprintf("Empty content for tag '%s' at module 'aws-s3'.", tag)}
}

func emptyWarn(report func(Message), tag string) {
	report(Message{Level: LevelWarning, Text: fmt.Sprintf("Empty content for tag '%s' at module 'aws-s3'.", tag)})
}

// setIfAny stores v when it is not empty, as the reference does for the
// options whose empty value it silently ignores.
func setIfAny(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// warnIfEmpty stores v, or warns that it is empty.
func warnIfEmpty(report func(Message), tag string, dst *string, v string) {
	if v == "" {
		emptyWarn(report, tag)
		return
	}
	*dst = v
}

func deprecatedCredential(report func(Message), tag string, dst *string, v string) {
	if v != "" {
		report(Message{Level: LevelWarning, Text: fmt.Sprintf(deprecatedKey, tag)})
		*dst = v
	}
}

func yesNoChild(c *node, dst *bool) error {
	switch c.content {
	case "yes":
		*dst = true
	case "no":
		*dst = false
	default:
		return &Error{Elem: c.name, Msg: fmt.Sprintf("Invalid content for tag '%s' at module 'aws-s3'.", c.name)}
	}
	return nil
}

func noDiscardValue(report func(Message)) {
	report(Message{Level: LevelWarning, Text: "No value was provided for 'discard_regex'. No event will be skipped."})
}

const missingField = "Required attribute 'field' is missing in 'discard_regex'. This is a mandatory parameter."

// readCredentialChild reads the children a bucket and a service take alike
// (credentials, role, endpoints); false means c is none of them.
func readCredentialChild(c *node, r *raw, report func(Message)) bool {
	v := c.content
	switch c.name {
	case "access_key":
		deprecatedCredential(report, c.name, &r.accessKey, v)
	case "secret_key":
		deprecatedCredential(report, c.name, &r.secretKey, v)
	case "aws_account_alias":
		setIfAny(&r.alias, v)
	case "aws_profile":
		setIfAny(&r.profile, v)
	case "iam_role_arn":
		setIfAny(&r.roleARN, v)
	case "iam_role_duration":
		setIfAny(&r.roleDur, v)
	case "sts_endpoint":
		setIfAny(&r.stsEndpoint, v)
	case "service_endpoint":
		setIfAny(&r.serviceEndpoint, v)
	default:
		return false
	}
	return true
}

func readBucket(n *node, b *raw, report func(Message)) error {
	for _, c := range n.children {
		v := c.content
		switch c.name {
		case "name":
			if v == "" {
				return emptyErr("name")
			}
			b.name = v
		case "aws_organization_id":
			if v == "" {
				return emptyErr("bucket")
			}
			b.orgID = v
		case "aws_account_id":
			if v == "" {
				return emptyErr("bucket")
			}
			b.accountID = v
		case "remove_from_bucket":
			if err := yesNoChild(c, &b.remove); err != nil {
				return err
			}
		case "path":
			warnIfEmpty(report, c.name, &b.path, v)
		case "path_suffix":
			warnIfEmpty(report, c.name, &b.suffix, v)
		case "only_logs_after":
			warnIfEmpty(report, c.name, &b.onlyAfter, v)
		case "regions":
			warnIfEmpty(report, c.name, &b.regions, v)
		case "discard_regex":
			if v == "" {
				noDiscardValue(report)
				break
			}
			field, _ := c.attr("field")
			if field == "" {
				return &Error{Elem: c.name, Msg: missingField}
			}
			b.discardField, b.discardRegex = field, v
		default:
			if !readCredentialChild(c, b, report) {
				return &Error{Elem: c.name, Msg: fmt.Sprintf("No such child tag '%s' of bucket at module 'aws-s3'.", c.name)}
			}
		}
	}
	return nil
}

func readService(n *node, s *raw, report func(Message)) error {
	for _, c := range n.children {
		v := c.content
		switch c.name {
		case "aws_account_id":
			if v == "" {
				return emptyErr("service")
			}
			s.accountID = v
		case "only_logs_after":
			warnIfEmpty(report, c.name, &s.onlyAfter, v)
		case "regions":
			warnIfEmpty(report, c.name, &s.regions, v)
		case "aws_log_groups":
			if v == "" {
				return emptyErr("aws_log_groups")
			}
			s.logGroups = v
		case "remove_log_streams":
			if err := yesNoChild(c, &s.removeLogStreams); err != nil {
				return err
			}
		case "discard_regex":
			if v == "" {
				noDiscardValue(report)
				break
			}
			field, _ := c.attr("field")
			if field == "" && s.typ != "cloudwatchlogs" {
				return &Error{Elem: c.name, Msg: missingField}
			}
			if field != "" {
				s.discardField = field
			}
			s.discardRegex = v
		default:
			if !readCredentialChild(c, s, report) {
				return &Error{Elem: c.name, Msg: fmt.Sprintf("No such child tag '%s' of service at module 'aws-s3'.", c.name)}
			}
		}
	}
	return nil
}

func readSubscriber(n *node, s *raw, report func(Message)) error {
	notEmpty := func(c *node, dst *string) error {
		if c.content == "" {
			return &Error{Elem: c.name, Msg: fmt.Sprintf("Invalid content for tag '%s': It cannot be empty", c.name)}
		}
		*dst = c.content
		return nil
	}
	for _, c := range n.children {
		v := c.content
		var err error
		switch c.name {
		case "sqs_name":
			err = notEmpty(c, &s.queue)
		case "external_id":
			err = notEmpty(c, &s.externalID)
		case "iam_role_arn":
			err = notEmpty(c, &s.roleARN)
		case "iam_role_duration":
			setIfAny(&s.roleDur, v)
		case "sts_endpoint":
			setIfAny(&s.stsEndpoint, v)
		case "service_endpoint":
			setIfAny(&s.serviceEndpoint, v)
		case "aws_profile":
			setIfAny(&s.profile, v)
		case "discard_regex":
			if s.typ == "security_lake" {
				return &Error{Elem: c.name, Msg: "The 'discard_regex' parameter is not available for Security Lake."}
			}
			if v == "" {
				noDiscardValue(report)
				break
			}
			if field, _ := c.attr("field"); field != "" {
				s.discardField = field
			}
			s.discardRegex = v
		default:
			// The reference says "service" here too.
			return &Error{Elem: c.name, Msg: fmt.Sprintf("No such child tag '%s' of service at module 'aws-s3'.", c.name)}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
