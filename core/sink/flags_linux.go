package sink

import "syscall"

// sendFlags: never block inside the kernel (retries honour the context)
// and never raise SIGPIPE, which a c-shared Go library would turn fatal.
const sendFlags = syscall.MSG_DONTWAIT | syscall.MSG_NOSIGNAL
