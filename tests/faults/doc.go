// Package faults is the fault-injection suite of the collector: the
// executable build/aws-s3, run as the agent runs it, against versitygw on
// 127.0.0.1 behind a proxy that returns 5xx, cuts bodies, resets or
// black-holes connections, with a real queue socket and state database.
// It also kills runs, overlaps them, and feeds hostile objects, and
// asserts that no event is lost, none is sent twice, nothing is deleted
// undelivered and memory stays bounded.
//
// The tests skip when versitygw or build/aws-s3 is missing. AWS_S3_BIN
// runs them against another executable; -short leaves out the memory
// bombs.
package faults
