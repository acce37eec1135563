package sink

import (
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxFrames bounds the datagrams of one sendmmsg call (the kernel allows
// UIO_MAXIOV, 1024); more gains nothing once the per-call cost is spread.
const maxFrames = 64

// frames sends datagrams with sendmmsg, each as two iovecs, the header and
// the event, so that no event is copied into a frame buffer. Its arrays are
// reused from call to call; the Socket's mutex guards them.
type frames struct {
	header []byte
	msgs   []unix.Mmsghdr
	iovs   []unix.Iovec
}

// send sends the first events (at most maxFrames) in one call and returns
// how many the kernel accepted. sendmmsg reports an error only when the
// first datagram fails; a later failure shortens the count, and the next
// call, starting at that datagram, reports it.
func (f *frames) send(fd int, events [][]byte) (int, error) {
	m := min(len(events), maxFrames)
	if m == 0 {
		return 0, nil
	}
	if f.header == nil {
		f.header = []byte(Header)
	}
	if len(f.msgs) < m {
		f.msgs = make([]unix.Mmsghdr, maxFrames)
		f.iovs = make([]unix.Iovec, 2*maxFrames)
	}
	for i, ev := range events[:m] {
		iov := f.iovs[2*i : 2*i+2]
		iov[0].Base = &f.header[0]
		iov[0].SetLen(len(f.header))
		iov[1] = unix.Iovec{}
		if len(ev) > 0 {
			iov[1].Base = &ev[0]
			iov[1].SetLen(len(ev))
		}
		f.msgs[i] = unix.Mmsghdr{Hdr: unix.Msghdr{Iov: &iov[0]}}
		f.msgs[i].Hdr.SetIovlen(2)
	}
	r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&f.msgs[0])), uintptr(m), sendFlags, 0, 0)
	runtime.KeepAlive(events)
	// Do not keep the events reachable until the next call.
	clear(f.iovs[:2*m])
	clear(f.msgs[:m])
	if e != 0 {
		return 0, syscall.Errno(e)
	}
	return int(r), nil
}
