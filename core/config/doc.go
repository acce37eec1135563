// Package config turns every source of configuration into validated
// Targets: the <wodle name="aws-s3"> block of ossec.conf (ParseXML, with
// wmodules-aws.c's grammar and messages), the Python script's command line
// (ParseArgv, with argparse's behaviour, messages and exit codes) and the
// JSON that the C shim passes to aws_s3_run (FromJSON).
//
// The checks the script made only when it ran (dates, regions, account
// ids, key characters, bucket, role and queue names, role duration, the
// discard regex) are made here, with the script's messages, so that a bad
// value is reported when the configuration is read. An *Error's Problem
// tells the values the script met only at run time apart, so that the
// edge (core/exit) can answer with the script's exit code for them.
package config
