package kind

import (
	"errors"
	"syscall"
)

// auditSeccomp is the audit record type of a logged seccomp action.
const auditSeccomp = 1326

// auditNlgrpReadlog is the audit netlink multicast group that copies of
// every audit record go to (linux/audit.h AUDIT_NLGRP_READLOG).
const auditNlgrpReadlog = 1

// auditListener receives the kernel's audit records through the audit
// netlink multicast group. Without an audit daemon the kernel also prints
// them to its log, but rate limited (a burst of 10 every 5 s): when other
// workloads log seccomp actions at the same time, the records of the
// re-run are the ones dropped. The multicast copy has no such limit. It
// needs CAP_AUDIT_READ; the kernel log is the fallback.
type auditListener struct {
	fd int
	// overruns counts reads the socket's buffer overflowed before.
	overruns int
}

func listenAudit() (*auditListener, error) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, syscall.NETLINK_AUDIT)
	if err != nil {
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK, Groups: 1 << (auditNlgrpReadlog - 1)}); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	// Room for bursts; FORCE goes past rmem_max where permitted.
	if syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, 8<<20) != nil {
		_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<20)
	}
	return &auditListener{fd: fd}, nil
}

func (a *auditListener) Close() error { return syscall.Close(a.fd) }

// records yields the seccomp records received so far, in the kernel log's
// words ("type=1326 audit(…): … pid=… arch=… syscall=…"), until none is
// waiting; at most maxRecords.
func (a *auditListener) records(yield func(string)) {
	buf := make([]byte, 1<<16)
	for i := 0; i < maxRecords; i++ {
		n, _, err := syscall.Recvfrom(a.fd, buf, 0)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.ENOBUFS):
			a.overruns++
			continue
		case err != nil || n <= 0:
			return
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue
		}
		for _, m := range msgs {
			if m.Header.Type == auditSeccomp {
				yield("type=1326 " + string(trimNUL(m.Data)))
			}
		}
	}
}

func trimNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}
