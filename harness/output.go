package harness

import (
	"bytes"
	"sync"
)

// MaxExecOutput bounds what a backend keeps of an exec check's or a
// probe's output: a workload may print without end.
const MaxExecOutput = 1 << 20

// LimitedBuffer is a concurrency-safe buffer (stdout and stderr may share
// it) that keeps the first Max bytes written and drops the rest. Writes
// never fail, so the stream feeding it is drained, not cut.
type LimitedBuffer struct {
	Max int

	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LimitedBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.Max - l.buf.Len(); room > 0 {
		l.buf.Write(b[:min(len(b), room)])
	}
	return len(b), nil
}

func (l *LimitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Bytes returns a copy of what was kept.
func (l *LimitedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.buf.Bytes()...)
}
