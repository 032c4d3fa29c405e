package docker

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/testcontainers/testcontainers-go"
)

// Ryuk, testcontainers-go's reaper, is a container that removes a
// session's containers when the process that made them dies. It needs its
// image, which comes from Docker Hub: on machines without a registry it
// cannot start, and every container creation would fail. So Ryuk is
// disabled only when its image is neither on the engine nor pullable;
// secprof then relies on its own cleanup (Stop, Close, the run-label sweep
// and the removal of killed runs' leftovers in Prepare).
//
// testcontainers-go reads TESTCONTAINERS_RYUK_DISABLED once per process,
// so the decision is taken once, before any testcontainers-go call.

const ryukEnv = "TESTCONTAINERS_RYUK_DISABLED"

// ryukPullTimeout bounds the attempt to pull Ryuk's image.
const ryukPullTimeout = 60 * time.Second

var ryukDecision struct {
	sync.Mutex
	done bool
	note string
	err  error
}

// imageAPI is what the decision needs from the engine.
type imageAPI interface {
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImagePull(ctx context.Context, ref string, opts image.PullOptions) (io.ReadCloser, error)
}

// decideRyuk decides once per process whether Ryuk can run and returns a
// note for the report.
func decideRyuk(ctx context.Context, cli imageAPI, mayPull bool) (string, error) {
	ryukDecision.Lock()
	defer ryukDecision.Unlock()
	if ryukDecision.done {
		return ryukDecision.note, ryukDecision.err
	}
	disable, note := ryukNeeded(ctx, cli, mayPull, os.Getenv, propertiesSetting())
	if ctx.Err() != nil {
		// Decide again next time rather than on a cancelled check.
		return "", ctx.Err()
	}
	var err error
	if disable {
		os.Setenv(ryukEnv, "true")
		if !testcontainers.ReadConfig().RyukDisabled {
			err = fmt.Errorf("%s, but testcontainers-go had already read its configuration with Ryuk enabled: set %s=true", note, ryukEnv)
		}
	}
	ryukDecision.done, ryukDecision.note, ryukDecision.err = true, note, err
	return note, err
}

// ryukNeeded tells whether Ryuk must be disabled, and why. getenv and
// props (the ryuk.disabled value of ~/.testcontainers.properties, "" if
// unset) are the user's explicit choices, which win.
func ryukNeeded(ctx context.Context, cli imageAPI, mayPull bool, getenv func(string) string, props string) (bool, string) {
	if v := getenv(ryukEnv); v != "" {
		if v == "true" {
			return false, "Ryuk reaper disabled by " + ryukEnv + "=true; secprof removes its containers itself"
		}
		return false, ""
	}
	if props != "" {
		if props == "true" {
			return false, "Ryuk reaper disabled by ryuk.disabled in ~/.testcontainers.properties; secprof removes its containers itself"
		}
		return false, ""
	}
	img := testcontainers.ReaperDefaultImage
	if p := getenv("TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX"); p != "" {
		img = strings.TrimSuffix(p, "/") + "/" + img
	}
	if _, err := cli.ImageInspect(ctx, img); err == nil {
		return false, ""
	}
	why := "it is not on the engine"
	if mayPull {
		pctx, cancel := context.WithTimeout(ctx, ryukPullTimeout)
		defer cancel()
		err := pullImage(pctx, cli, img)
		if err == nil {
			return false, ""
		}
		why = fmt.Sprintf("it is not on the engine and cannot be pulled (%v)", firstLine(err))
	}
	return true, fmt.Sprintf("Ryuk reaper disabled: its image %s is needed to run it and %s; secprof removes its containers and network itself", img, why)
}

// propertiesSetting returns ryuk.disabled from ~/.testcontainers.properties.
func propertiesSetting() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	f, err := os.Open(filepath.Join(home, ".testcontainers.properties"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && strings.TrimSpace(k) == "ryuk.disabled" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func firstLine(err error) string {
	if err == nil {
		return "no error"
	}
	s, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
	return s
}
