// Command goexport is libaws_s3.so, the collector as a C shared library
// for wazuh-modulesd (built with -buildmode=c-shared). It owns the C
// boundary only: converting arguments, calling the host's callbacks,
// containing panics and turning aws_s3_stop into context cancellation.
// Every decision about targets and events belongs to core; the public
// interface is documented in include/aws_s3.h.
package main

// version is set at link time (-X main.version=...).
var version = "dev"

func main() {}
