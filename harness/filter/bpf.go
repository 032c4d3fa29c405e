package filter

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Seccomp return values (SECCOMP_RET_*).
const (
	RetKillProcess uint32 = 0x80000000
	RetKillThread  uint32 = 0x00000000
	RetTrap        uint32 = 0x00030000
	RetErrno       uint32 = 0x00050000
	RetUserNotif   uint32 = 0x7fc00000
	RetTrace       uint32 = 0x7ff00000
	RetLog         uint32 = 0x7ffc0000
	RetAllow       uint32 = 0x7fff0000

	retActionFull = 0xffff0000
	retData       = 0x0000ffff
)

// Data is struct seccomp_data.
type Data struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

// maxInsns is the kernel's BPF_MAXINSNS.
const maxInsns = 4096

// Eval runs the classic-BPF program on d and returns the SECCOMP_RET_*
// value, as the kernel would. Classic BPF only jumps forward, so this
// always terminates.
func (p *Program) Eval(d Data) (uint32, error) {
	n := len(p.BPF) / 8
	if n == 0 || n > maxInsns || len(p.BPF)%8 != 0 {
		return 0, fmt.Errorf("invalid program of %d bytes", len(p.BPF))
	}
	var data [64]byte
	ne := binary.NativeEndian
	ne.PutUint32(data[0:], uint32(d.Nr))
	ne.PutUint32(data[4:], d.Arch)
	ne.PutUint64(data[8:], d.IP)
	for i, a := range d.Args {
		ne.PutUint64(data[16+8*i:], a)
	}
	var A, X uint32
	var mem [16]uint32
	for pc := 0; pc < n; pc++ {
		ins := p.BPF[pc*8:]
		code := ne.Uint16(ins[0:])
		jt, jf := int(ins[2]), int(ins[3])
		k := ne.Uint32(ins[4:])
		switch code & 0x07 {
		case 0x00: // BPF_LD
			switch code & 0xe0 {
			case 0x20: // ABS
				if code&0x18 != 0x00 || k > 60 || k%4 != 0 {
					return 0, fmt.Errorf("pc %d: unsupported load", pc)
				}
				A = ne.Uint32(data[k:])
			case 0x00: // IMM
				A = k
			case 0x60: // MEM
				if k >= 16 {
					return 0, errors.New("bad scratch index")
				}
				A = mem[k]
			case 0x80: // LEN
				A = 64
			default:
				return 0, fmt.Errorf("pc %d: unsupported ld mode %#x", pc, code)
			}
		case 0x01: // BPF_LDX
			switch code & 0xe0 {
			case 0x00:
				X = k
			case 0x60:
				if k >= 16 {
					return 0, errors.New("bad scratch index")
				}
				X = mem[k]
			case 0x80:
				X = 64
			default:
				return 0, fmt.Errorf("pc %d: unsupported ldx mode %#x", pc, code)
			}
		case 0x02: // BPF_ST
			if k >= 16 {
				return 0, errors.New("bad scratch index")
			}
			mem[k] = A
		case 0x03: // BPF_STX
			if k >= 16 {
				return 0, errors.New("bad scratch index")
			}
			mem[k] = X
		case 0x04: // BPF_ALU
			src := k
			if code&0x08 != 0 {
				src = X
			}
			switch code & 0xf0 {
			case 0x00:
				A += src
			case 0x10:
				A -= src
			case 0x20:
				A *= src
			case 0x30:
				if src == 0 {
					return 0, nil // the kernel returns 0 (kill) on division by zero
				}
				A /= src
			case 0x40:
				A |= src
			case 0x50:
				A &= src
			case 0x60:
				A <<= src & 31
			case 0x70:
				A >>= src & 31
			case 0x80:
				A = -A
			case 0x90:
				if src == 0 {
					return 0, nil
				}
				A %= src
			case 0xa0:
				A ^= src
			default:
				return 0, fmt.Errorf("pc %d: unsupported alu op %#x", pc, code)
			}
		case 0x05: // BPF_JMP
			src := k
			if code&0x08 != 0 {
				src = X
			}
			var cond bool
			switch code & 0xf0 {
			case 0x00: // JA
				pc += int(k)
				continue
			case 0x10:
				cond = A == src
			case 0x20:
				cond = A > src
			case 0x30:
				cond = A >= src
			case 0x40:
				cond = A&src != 0
			default:
				return 0, fmt.Errorf("pc %d: unsupported jump %#x", pc, code)
			}
			if cond {
				pc += jt
			} else {
				pc += jf
			}
		case 0x06: // BPF_RET
			if code&0x18 == 0x10 {
				return A, nil
			}
			return k, nil
		case 0x07: // BPF_MISC
			if code&0xf8 == 0x00 {
				X = A
			} else {
				A = X
			}
		}
	}
	return 0, errors.New("program fell off its end")
}

// Action splits a SECCOMP_RET_* value into its action and data.
func Action(ret uint32) (action uint32, data uint16) {
	if ret&RetKillProcess != 0 && ret&retActionFull == RetKillProcess {
		return RetKillProcess, uint16(ret & retData)
	}
	return ret & retActionFull, uint16(ret & retData)
}

// Denies reports whether a SECCOMP_RET_* value stops the call (anything
// but ALLOW and LOG; TRACE without a tracer fails with ENOSYS).
func Denies(ret uint32) bool {
	a, _ := Action(ret)
	return a != RetAllow && a != RetLog
}

// ActionName names a SECCOMP_RET_* value like a profile would.
func ActionName(ret uint32) string {
	a, data := Action(ret)
	switch a {
	case RetKillProcess:
		return "SCMP_ACT_KILL_PROCESS"
	case RetKillThread:
		return "SCMP_ACT_KILL_THREAD"
	case RetTrap:
		return "SCMP_ACT_TRAP"
	case RetErrno:
		return fmt.Sprintf("SCMP_ACT_ERRNO(%d)", data)
	case RetUserNotif:
		return "SCMP_ACT_NOTIFY"
	case RetTrace:
		return fmt.Sprintf("SCMP_ACT_TRACE(%d)", data)
	case RetLog:
		return "SCMP_ACT_LOG"
	case RetAllow:
		return "SCMP_ACT_ALLOW"
	}
	return fmt.Sprintf("%#x", ret)
}
