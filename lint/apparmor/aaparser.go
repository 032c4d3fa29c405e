package apparmor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/secprof/secprof/lint"
)

// apparmor_parser as a second opinion. It runs with -Q (never load into a
// kernel) and -K (no cache), on a private copy of exactly the text that was
// linted, in the directory of the linted file so that relative "quoted"
// includes resolve as they would for the original. It only runs on text
// secprof's own parser accepts and whose includes all stayed inside the
// allowed directories.

// ParserTimeout bounds one apparmor_parser run.
const ParserTimeout = 60 * time.Second

// parserTimeout is ParserTimeout; tests shorten it.
var parserTimeout = ParserTimeout

const maxParserOutput = 64 << 10

// ParserPath resolves the --apparmor-parser setting: "off" gives "", ""
// and "auto" give the installed apparmor_parser or "" when there is none,
// anything else must be an executable file (an error otherwise, which the
// CLI reports as a usage error before linting).
func ParserPath(setting string) (string, error) {
	switch setting {
	case "off":
		return "", nil
	case "", "auto":
		if p, err := exec.LookPath("apparmor_parser"); err == nil {
			return p, nil
		}
		for _, p := range []string{"/sbin/apparmor_parser", "/usr/sbin/apparmor_parser"} {
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				return p, nil
			}
		}
		return "", nil
	}
	st, err := os.Stat(setting)
	switch {
	case err != nil:
		return "", fmt.Errorf("--apparmor-parser %s: %s", setting, statErr(err))
	case !st.Mode().IsRegular() || st.Mode()&0o111 == 0:
		return "", fmt.Errorf("--apparmor-parser %s: not an executable file", setting)
	}
	return setting, nil
}

// noVerdict is the finding for an apparmor_parser run that gave no answer
// (it could not start, crashed or timed out): a warning, not a rejection.
func noVerdict(sp Span, format string, args ...any) []finding {
	return []finding{{rule: ruleParserRejected, sp: sp, sev: lint.Warning, msg: "apparmor_parser gave no verdict: " + sprintf(format, args...)}}
}

// runParser runs apparmor_parser on the policy and maps its complaints to
// positions. ran tells whether it ran to a verdict.
func (c *checker) runParser(ctx *lint.Context, lf *lint.File, src []byte, pol *Policy) (out []finding, ran bool) {
	bin, err := ParserPath(ctx.Config.Lint.AppArmor.Parser)
	first := firstSpan(pol)
	if err != nil {
		return noVerdict(first, "%v", err), false
	}
	if bin == "" || pol.Refused || !pol.Accepted() {
		return nil, false
	}
	tmp, err := os.MkdirTemp("", "secprof-apparmor-")
	if err != nil {
		return noVerdict(first, "%v", err), false
	}
	defer os.RemoveAll(tmp)
	input := filepath.Join(tmp, "policy")
	if err := os.WriteFile(input, src, 0o600); err != nil {
		return noVerdict(first, "%v", err), false
	}
	target := input
	if pol.Fragment {
		// an abstraction is checked inside a profile, after the tunables
		// it expects
		var w strings.Builder
		if c.hasTunables(ctx, lf) {
			w.WriteString("include <tunables/global>\n")
		}
		w.WriteString("profile secprof-fragment-check {\n  include \"" + input + "\"\n}\n")
		target = filepath.Join(tmp, "wrapper")
		if err := os.WriteFile(target, []byte(w.String()), 0o600); err != nil {
			return noVerdict(first, "%v", err), false
		}
	}
	args := []string{"-Q", "-K", "-q"}
	for _, d := range includeDirs(ctx) {
		args = append(args, "-I", d)
	}
	if c.systemDir != SystemDir && c.systemDir != "" {
		// searched before /etc/apparmor.d; secprof only runs the parser
		// when every include resolved, so the result is the same as
		// replacing the base directory (--base would also change the
		// working directory relative includes resolve against)
		if abs, err := filepath.Abs(c.systemDir); err == nil {
			args = append(args, "-I", abs)
		}
	}
	args = append(args, target)
	parent := ctx.Context
	if parent == nil {
		parent = context.Background()
	}
	rctx, cancel := context.WithTimeout(parent, parserTimeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, bin, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C", "LANGUAGE=")
	if base := c.baseDir(ctx, lf); base != "" {
		if st, err := os.Stat(base); err == nil && st.IsDir() {
			cmd.Dir = base
		}
	}
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if rctx.Err() != nil {
		if parent.Err() != nil {
			return nil, false
		}
		return noVerdict(first, "it did not finish within %v", parserTimeout), false
	}
	if err == nil {
		return nil, true
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() < 0 {
		return noVerdict(first, "%s could not run: %v", bin, err), false
	}
	return c.mapParserOutput(ctx, pol, src, input, cmd.Dir, stderr.String()), true
}

func statErr(err error) string {
	if err == nil {
		return "it is a directory"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func (c *checker) baseDir(ctx *lint.Context, lf *lint.File) string {
	if ctx.Root != "" {
		return filepath.Join(ctx.Root, filepath.FromSlash(filepath.ToSlash(filepath.Dir(lf.Path))))
	}
	if lf.Abs != "" {
		return filepath.Dir(lf.Abs)
	}
	return ""
}

func (c *checker) hasTunables(ctx *lint.Context, lf *lint.File) bool {
	l := &loader{}
	for _, o := range c.loadOptions(ctx, lf) {
		o(l)
	}
	for _, d := range append(append([]string{}, l.includeDirs...), l.systemDir) {
		if d == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(d, "tunables", "global")); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}

type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxParserOutput - b.Len(); room > 0 {
		if len(p) > room {
			b.Buffer.Write(p[:room])
		} else {
			b.Buffer.Write(p)
		}
	}
	return len(p), nil
}

var (
	reParserErr     = regexp.MustCompile(`^AppArmor parser error for (.*?)(?: in (?:profile )?(.*?))? at line (\d+): (.*)$`)
	reParserErrLine = regexp.MustCompile(`^AppArmor parser error at line (\d+): (.*)$`)
	reUndefinedVar  = regexp.MustCompile(`variable (\S+?), but is never declared`)
	reMultiDef      = regexp.MustCompile(`Multiple definitions for profile (\S+?) exist`)
	reBadLine       = regexp.MustCompile(`Unable to parse input line '(.*)'`)
	reMergedRule    = regexp.MustCompile(`merged rule (\S+) with`)
)

// filterParserNoise drops the lines apparmor_parser prints on every run
// without a kernel interface.
func filterParserNoise(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "Cache read/write disabled") || strings.TrimSpace(l) == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// mapParserOutput turns apparmor_parser's stderr into findings: errors
// with a line in the linted text go there, errors in included files go to
// the include that leads to them, the rest are placed by what they name.
func (c *checker) mapParserOutput(ctx *lint.Context, pol *Policy, src []byte, input, dir, stderr string) []finding {
	text := filterParserNoise(stderr)
	var out []finding
	var loose []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if m := reParserErr.FindStringSubmatch(l); m != nil {
			file := m[2]
			if file == "" {
				file = m[1]
			}
			line, _ := strconv.Atoi(m[3])
			out = append(out, c.parserFinding(ctx, pol, input, dir, file, line, m[4]))
			continue
		}
		if m := reParserErrLine.FindStringSubmatch(l); m != nil {
			line, _ := strconv.Atoi(m[1])
			out = append(out, c.parserFinding(ctx, pol, input, dir, input, line, m[2]))
			continue
		}
		loose = append(loose, l)
	}
	if len(loose) > 0 && len(out) == 0 {
		msg := strings.Join(loose, "; ")
		msg = strings.ReplaceAll(msg, input, "<policy>")
		sp := locateMessage(pol, src, msg)
		out = append(out, finding{rule: ruleParserRejected, sp: sp, msg: "apparmor_parser: " + msg})
	}
	if len(out) == 0 {
		out = append(out, finding{rule: ruleParserRejected, sp: firstSpan(pol), msg: "apparmor_parser rejected the policy without saying why"})
	}
	return out
}

func (c *checker) parserFinding(ctx *lint.Context, pol *Policy, input, dir, file string, line int, msg string) finding {
	msg = strings.ReplaceAll(msg, input, "<policy>")
	if file == input {
		return finding{rule: ruleParserRejected, sp: lineSpan(pol.File, line), msg: "apparmor_parser: " + msg}
	}
	real := file
	if !filepath.IsAbs(real) && dir != "" {
		// relative "quoted" includes are named as written
		real = filepath.Join(dir, real)
	}
	if r, err := filepath.EvalSymlinks(file); err == nil {
		real = r
	}
	if via := pol.viaOf[real]; via != nil {
		name := file
		if ctx.Root != "" {
			if rel, err := filepath.Rel(ctx.Root, real); err == nil && !strings.HasPrefix(rel, "..") {
				name = filepath.ToSlash(rel)
			}
		}
		if !c.trusted(ctx, real) {
			msg = "error not shown: the file is outside the workspace"
		}
		return finding{rule: ruleParserRejected, sp: via.Span, msg: sprintf("apparmor_parser: in included file %s:%d: %s", name, line, msg)}
	}
	return finding{rule: ruleParserRejected, sp: firstSpan(pol), msg: sprintf("apparmor_parser: in %s:%d: %s", filepath.Base(file), line, msg)}
}

// lineSpan is the span of the non-blank text of line n of f.
func lineSpan(f *File, n int) Span {
	lx := newLexer(f.Src)
	if n < 1 || n > len(lx.lines) {
		n = 1
	}
	start := lx.lines[n-1]
	end := len(f.Src)
	if n < len(lx.lines) {
		end = lx.lines[n] - 1
	}
	for start < end && isBlank(f.Src[start]) {
		start++
	}
	for end > start && isBlank(f.Src[end-1]) {
		end--
	}
	return Span{Start: lx.pos(start), End: lx.pos(end)}
}

// firstSpan is where file-level findings go: the first profile's name, or
// the start of the file.
func firstSpan(pol *Policy) Span {
	for _, p := range pol.Profiles {
		if p.file == pol.File {
			return p.Name.Span
		}
	}
	lx := newLexer(pol.File.Src)
	return Span{Start: lx.pos(0), End: lx.pos(0)}
}

// locateMessage finds what an unplaced apparmor_parser message names.
func locateMessage(pol *Policy, src []byte, msg string) Span {
	var needle string
	if m := reUndefinedVar.FindStringSubmatch(msg); m != nil {
		needle = "@{" + m[1] + "}"
	} else if m := reMultiDef.FindStringSubmatch(msg); m != nil {
		needle = m[1]
	} else if m := reBadLine.FindStringSubmatch(msg); m != nil {
		needle = m[1]
	} else if m := reMergedRule.FindStringSubmatch(msg); m != nil {
		needle = m[1]
	}
	if needle != "" {
		if i := bytes.Index(src, []byte(needle)); i >= 0 {
			lx := newLexer(src)
			return Span{Start: lx.pos(i), End: lx.pos(i + len(needle))}
		}
	}
	return firstSpan(pol)
}
