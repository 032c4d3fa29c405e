package harness

import (
	"strings"
	"sync"
	"testing"
)

func TestLimitedBuffer(t *testing.T) {
	b := &LimitedBuffer{Max: 10}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A write past the limit still reports success, so the
			// stream feeding the buffer is drained.
			if n, err := b.Write([]byte("abcdef")); n != 6 || err != nil {
				t.Errorf("Write = %d, %v", n, err)
			}
		}()
	}
	wg.Wait()
	if got := b.String(); len(got) != 10 || strings.Trim(got, "abcdef") != "" {
		t.Errorf("kept %q, want 10 bytes of the writes", got)
	}
	c := b.Bytes()
	c[0] = 'X'
	if b.String()[0] == 'X' {
		t.Error("Bytes returned the buffer itself, not a copy")
	}
}
