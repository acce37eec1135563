// Package bench measures the engine end to end: objects served by a real
// S3 implementation (versitygw with its posix backend on a temporary
// directory, 127.0.0.1 only), one engine run per measurement, events
// delivered to a real AF_UNIX datagram socket that the benchmark binds and
// drains. It holds only benchmarks and one opt-in test:
//
//	make bench                                   # all benchmarks, once each
//	AWS_S3_BENCH_LARGE=1 go test -run LargeObjectMemory ./tests/bench/
//
// versitygw must be installed (go install
// github.com/versity/versitygw/cmd/versitygw@v1.8.0; $VERSITYGW, $PATH and
// the go install directory are searched); without it everything skips.
// AWS_S3_BENCH_WORKERS sets the engine's worker count and
// AWS_S3_BENCH_SINK=discard drops events instead of sending them, to tell
// the socket's cost from the engine's.
package bench
