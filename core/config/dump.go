package config

import (
	"encoding/json"
)

var wdayNames = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// DumpJSON renders m, normalised, as indented JSON in the shape of
// wm_aws_dump ({"aws-s3": {...}}), for --check-config. Unlike wm_aws_dump
// it never shows secrets (they are "****"), it includes the bucket's
// aws_organization_id, and values are the normalised ones (paths ending in
// "/", regions sorted, dates as YYYY-MMM-DD), so each bucket, service or
// subscriber object is valid input for FromJSON.
func DumpJSON(m *Module) ([]byte, error) {
	var o kv
	s := m.Schedule
	if s.Interval != 0 {
		o.add("interval", s.Interval)
	}
	if s.Day != 0 {
		o.add("day", s.Day)
	}
	if s.Wday >= 0 && s.Wday < len(wdayNames) {
		o.add("wday", wdayNames[s.Wday])
	}
	o.addStr("time", s.Time)
	o.add("disabled", yn(m.Disabled))
	o.add("run_on_start", yn(m.RunOnStart))
	o.add("skip_on_error", yn(m.SkipOnError))
	lists := map[Kind][]kv{}
	for _, t := range m.Targets {
		lists[t.Kind] = append(lists[t.Kind], targetObject(t))
	}
	for _, k := range []struct {
		kind Kind
		key  string
	}{{KindBucket, "buckets"}, {KindService, "services"}, {KindSubscriber, "subscribers"}} {
		if l := lists[k.kind]; len(l) > 0 {
			o.add(k.key, l)
		}
	}
	var top kv
	top.add("aws-s3", o)
	return json.MarshalIndent(top, "", "  ")
}
