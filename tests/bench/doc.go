// Package bench measures the engine end to end: objects served by a real
// S3 implementation (versitygw with its posix backend on a temporary
// directory, 127.0.0.1 only), one engine run per measurement, events
// delivered to a real AF_UNIX datagram socket that the benchmark binds and
// drains. It holds only benchmarks and one opt-in test:
//
//	make bench                                   # the reference wodle vs build/aws-s3
//	make bench BENCH=.                           # every benchmark, once each
//	AWS_S3_BENCH_LARGE=1 go test -run LargeObjectMemory ./tests/bench/
//
// BenchmarkReference (make bench) runs the reference Python wodle
// (../shared/wazuh/wodles, or $AWS_S3_REFERENCE) and build/aws-s3 as
// executables on the same bucket, one after the other, and prints a ratio
// line per bench: A, 200 gzip CloudTrail objects of 500 records; B, 2,000
// objects of 10 records behind a proxy adding 50 ms to every S3 request.
// It needs python3 with boto3 and skips without them. Sizes, rounds and
// the like are set through AWS_S3_BENCH_* (reference_test.go), e.g. a
// quick run:
//
//	AWS_S3_BENCH_A_OBJECTS=20 AWS_S3_BENCH_B_OBJECTS=100 make bench
//
// versitygw must be installed (go install
// github.com/versity/versitygw/cmd/versitygw@v1.8.0; $VERSITYGW, $PATH and
// the go install directory are searched); without it everything skips.
// AWS_S3_BENCH_WORKERS sets the engine's worker count and
// AWS_S3_BENCH_SINK=discard drops events instead of sending them, to tell
// the socket's cost from the engine's.
package bench
