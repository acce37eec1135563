// Package e2e runs the engine end to end: an in-process S3 (tests/fixture),
// a real queue socket bound by the test, the state database on disk, and
// targets built from the argv modulesd passes, asserting what reaches the
// queue and what the database keeps across runs, crashes and outages.
package e2e
