// Package modulesd tests the shim and libaws_s3.so inside a real Wazuh
// agent wazuh-modulesd, built from Wazuh's sources by `make
// modulesd-test` (../shared/wazuh/build-modulesd.sh). Each test gives the
// daemon a minimal install tree, a versitygw S3 server on 127.0.0.1, a
// test agentd (the start-up handshake on queue/sockets/agent and a bound
// datagram queue) and checks what an operator would see: the events at
// the queue, the state database, ossec.log and getconfig.
//
// The tests need the built daemon and run only when AWS_S3_MODULESD names
// the build's work directory (with bin/wazuh-modulesd and lib/); plain
// `go test ./...` skips them with a message.
package modulesd
