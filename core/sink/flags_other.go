//go:build unix && !linux

package sink

import "syscall"

// sendFlags: never block inside the kernel. Datagram sockets do not raise
// SIGPIPE, and MSG_NOSIGNAL does not exist here.
const sendFlags = syscall.MSG_DONTWAIT
