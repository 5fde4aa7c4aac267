//go:build unix

package h1

import (
	"errors"
	"net"
	"syscall"
)

// stillIdle reports whether nc is fit to carry a request: the upstream has
// neither closed it nor written on it unasked (a 408 at its keep-alive timeout)
// since its last answer. It peeks without blocking: one system call.
func stillIdle(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var buf [1]byte
	fit := false
	err = raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		fit = n <= 0 && errors.Is(err, syscall.EAGAIN) // nothing to read, and not closed
		// Done either way: never wait for the connection to become readable.
		return true
	})
	return err == nil && fit
}
