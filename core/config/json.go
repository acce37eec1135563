package config

import "errors"

// FromJSON parses the target JSON that cshim passes to aws_s3_run.
// Stub: replaced by the real implementation.
func FromJSON(data []byte) (Target, error) {
	return Target{}, errors.New("config: FromJSON not implemented")
}
