//go:build unix && !linux

package sink

import "syscall"

// frames sends one datagram per call, copied after the header into a
// reused buffer: sendmmsg is Linux's.
type frames struct {
	buf []byte
}

// send sends events[0] and returns 1 once the kernel accepted it.
func (f *frames) send(fd int, events [][]byte) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	f.buf = append(append(f.buf[:0], Header...), events[0]...)
	err := syscall.Sendto(fd, f.buf, sendFlags, nil)
	if cap(f.buf) > 4*sndBuf {
		f.buf = nil // do not pin one huge event's buffer
	}
	if err != nil {
		return 0, err
	}
	return 1, nil
}
