package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/secprof/secprof/docs"
	"github.com/secprof/secprof/lint"
)

// DocsBaseURL is where rule pages are published; SARIF helpUri points there.
const DocsBaseURL = "https://github.com/secprof/secprof/blob/main/docs/rules/"

// The subset of SARIF 2.1.0 that secprof writes. Field names follow the
// specification; GitHub code scanning reads ruleId, level, locations with a
// relative uri, partialFingerprints and the rules' help.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool       sarifTool     `json:"tool"`
		Results    []sarifResult `json:"results"`
		ColumnKind string        `json:"columnKind"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string             `json:"id"`
		Name                 string             `json:"name"`
		ShortDescription     sarifText          `json:"shortDescription"`
		FullDescription      sarifText          `json:"fullDescription"`
		Help                 sarifHelp          `json:"help"`
		HelpURI              string             `json:"helpUri"`
		DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
		Properties           sarifRuleProps     `json:"properties"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifHelp struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown,omitempty"`
	}
	sarifConfiguration struct {
		Level string `json:"level"`
	}
	sarifRuleProps struct {
		Tags             []string `json:"tags"`
		SecuritySeverity string   `json:"security-severity"`
		Precision        string   `json:"precision"`
	}
	sarifResult struct {
		RuleID              string            `json:"ruleId"`
		RuleIndex           int               `json:"ruleIndex"`
		Level               string            `json:"level"`
		Message             sarifText         `json:"message"`
		Locations           []sarifLocation   `json:"locations"`
		PartialFingerprints map[string]string `json:"partialFingerprints"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifactLoc `json:"artifactLocation"`
		Region           sarifRegion      `json:"region"`
	}
	sarifArtifactLoc struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
		EndLine     int `json:"endLine,omitempty"`
		EndColumn   int `json:"endColumn,omitempty"`
	}
)

func sarifLevel(s lint.Severity) string {
	switch s {
	case lint.Error:
		return "error"
	case lint.Warning:
		return "warning"
	}
	return "note"
}

// securitySeverity maps our severities onto GitHub's CVSS-like scale
// (>= 7 high, >= 4 medium, else low).
func securitySeverity(s lint.Severity) string {
	switch s {
	case lint.Error:
		return "7.5"
	case lint.Warning:
		return "5.0"
	}
	return "2.0"
}

// SARIF writes a SARIF 2.1.0 log that GitHub code scanning accepts: every
// registered rule with its help page, one result per finding with a URI
// relative to the repository root and a fingerprint that survives lines
// moving up or down.
func SARIF(w io.Writer, in Input) error {
	all := lint.AllRules()
	index := map[string]int{}
	rules := make([]sarifRule, 0, len(all))
	for _, r := range all {
		index[r.ID] = len(rules)
		rules = append(rules, sarifRuleFor(r))
	}
	results := make([]sarifResult, 0, len(in.Findings))
	seen := map[string]int{}
	for _, f := range in.Findings {
		i, ok := index[f.Rule]
		if !ok {
			// A finding for an unregistered rule is a bug, but the report
			// must still be valid: describe the rule on the fly.
			i = len(rules)
			index[f.Rule] = i
			rules = append(rules, sarifRuleFor(lint.Rule{ID: f.Rule, Severity: f.Severity, Summary: f.Rule}))
		}
		// A SARIF fix needs artifactChanges, so a suggested fix travels in
		// the message.
		msg := f.Message
		if f.Fix != "" {
			msg += "\nFix: " + f.Fix
		}
		line := f.Line
		if line < 1 {
			line = 1
		}
		reg := sarifRegion{StartLine: line, StartColumn: f.Column}
		if f.EndLine >= line {
			reg.EndLine = f.EndLine
			if f.EndColumn > 0 && (f.EndLine > line || f.EndColumn > f.Column) {
				reg.EndColumn = f.EndColumn
			}
		}
		fp := fingerprint(in.Files[f.File], f)
		seen[fp]++
		results = append(results, sarifResult{
			RuleID:    f.Rule,
			RuleIndex: i,
			Level:     sarifLevel(f.Severity),
			Message:   sarifText{Text: msg},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifactLoc{URI: relativeURI(f.File), URIBaseID: "%SRCROOT%"},
				Region:           reg,
			}}},
			PartialFingerprints: map[string]string{"secprofFingerprint/v1": fmt.Sprintf("%s:%d", fp, seen[fp])},
		})
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name:           "secprof",
				Version:        in.Version,
				InformationURI: "https://github.com/secprof/secprof",
				Rules:          rules,
			}},
			Results:    results,
			ColumnKind: "unicodeCodePoints",
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func sarifRuleFor(r lint.Rule) sarifRule {
	page, _ := docs.Rule(r.ID)
	text := r.Summary
	if page != "" {
		text = page
	}
	return sarifRule{
		ID:                   r.ID,
		Name:                 ruleName(r.ID),
		ShortDescription:     sarifText{Text: r.Summary},
		FullDescription:      sarifText{Text: r.Summary},
		Help:                 sarifHelp{Text: text, Markdown: page},
		HelpURI:              DocsBaseURL + r.ID + ".md",
		DefaultConfiguration: sarifConfiguration{Level: sarifLevel(r.Severity)},
		Properties: sarifRuleProps{
			Tags:             []string{"security", r.Kind()},
			SecuritySeverity: securitySeverity(r.Severity),
			Precision:        "high",
		},
	}
}

// ruleName turns "seccomp/dangerous-syscall" into "SeccompDangerousSyscall",
// the identifier-like name SARIF viewers show.
func ruleName(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		if r == '/' || r == '-' || r == '_' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

// relativeURI escapes each path segment so that odd file names stay a valid
// relative URI reference.
func relativeURI(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// fingerprint identifies a finding by rule, file and the trimmed text of its
// line, not by line number, so code scanning keeps tracking an alert when
// lines above it change.
func fingerprint(file *lint.File, f lint.Finding) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", f.Rule, f.File)
	if file != nil {
		h.Write([]byte(strings.TrimSpace(file.Line(f.Line))))
	} else {
		fmt.Fprintf(h, "%d", f.Line)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
