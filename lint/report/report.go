// Package report turns lint findings into the output formats of
// `secprof lint --format`: text, json, sarif and github. Each format is a
// public contract documented in docs/output.md.
package report

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/secprof/secprof/lint"
)

// Formats lists the values of --format.
var Formats = []string{"text", "json", "sarif", "github"}

// Input is everything a reporter may use.
type Input struct {
	Findings []lint.Finding
	// Files maps reported paths to their content, for source lines and
	// fingerprints. It may be nil.
	Files map[string]*lint.File
	// Linted is the number of files linted.
	Linted  int
	Version string
}

// Summary counts findings per severity.
type Summary struct {
	Files    int `json:"files"`
	Findings int `json:"findings"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// Summarize counts in's findings.
func Summarize(in Input) Summary {
	s := Summary{Files: in.Linted, Findings: len(in.Findings)}
	for _, f := range in.Findings {
		switch f.Severity {
		case lint.Error:
			s.Errors++
		case lint.Warning:
			s.Warnings++
		default:
			s.Infos++
		}
	}
	return s
}

// Write renders in in format to w.
func Write(w io.Writer, format string, in Input) error {
	switch format {
	case "text", "":
		return Text(w, in, TextOptions{})
	case "json":
		return JSON(w, in)
	case "sarif":
		return SARIF(w, in)
	case "github":
		return GitHub(w, in, GitHubOptions{})
	}
	return fmt.Errorf("unknown format %q (want text, json, sarif or github)", format)
}

// WriteFileAtomic writes what write produces to path through a temporary
// file in the same directory that is synced and renamed into place only on
// success, so readers never see a partial report and an interrupted or
// failed run leaves nothing behind. The lint and the test reports both
// use it.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
