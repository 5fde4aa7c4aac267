package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Image is what the Dockerfile must produce.
const (
	runtimeBase = "gcr.io/distroless/static-debian12:nonroot"
	buildScript = "scripts/build.sh"
)

// CheckDockerfile parses a Dockerfile with BuildKit's own parser and linter (a lint
// warning is an error) and checks the image it describes: a builder stage that runs
// scripts/build.sh; a final stage on distroless/static nonroot that copies only from
// other stages, runs as a non-root user, exposes 4180 and 9180, keeps DATA_DIR=/data on
// a volume, and whose entrypoint is a file a COPY put there.
func CheckDockerfile(file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	res, err := parser.Parse(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var errs []error
	for _, w := range res.Warnings {
		errs = append(errs, fmt.Errorf("%s: parser: %s", file, w.Short))
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		errs = append(errs, fmt.Errorf("%s:%d: lint %s: %s", file, line(loc), rule, msg))
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("%s: %w", file, err))...)
	}
	if len(stages) < 2 {
		return errors.Join(append(errs, fmt.Errorf("%s: want a builder stage and a runtime stage, found %d stage(s)", file, len(stages)))...)
	}
	errs = append(errs, checkBuilder(stages[:len(stages)-1])...)
	errs = append(errs, checkRuntime(stages[len(stages)-1])...)
	for i, e := range errs {
		if !strings.HasPrefix(e.Error(), file) {
			errs[i] = fmt.Errorf("%s: %w", file, e)
		}
	}
	return errors.Join(errs...)
}

func line(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}

// checkBuilder wants some earlier stage to build with scripts/build.sh.
func checkBuilder(stages []instructions.Stage) []error {
	for _, s := range stages {
		for _, c := range s.Commands {
			if r, ok := c.(*instructions.RunCommand); ok && strings.Contains(strings.Join(r.CmdLine, " "), buildScript) {
				return nil
			}
		}
	}
	return []error{fmt.Errorf("no builder stage RUNs %s, the release build CI checks", buildScript)}
}

func checkRuntime(s instructions.Stage) []error {
	var errs []error
	if s.BaseName != runtimeBase {
		errs = append(errs, fmt.Errorf("final stage is FROM %s, want %s", s.BaseName, runtimeBase))
	}
	var user string
	var exposed, volumes, copied []string
	env := map[string]string{}
	var entrypoint []string
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			if c.From == "" {
				errs = append(errs, fmt.Errorf("final stage COPYs %v from the build context; copy only from the builder stage", c.SourcePaths))
			}
			copied = append(copied, c.DestPath)
		case *instructions.AddCommand:
			errs = append(errs, errors.New("final stage uses ADD; copy from the builder stage"))
		case *instructions.RunCommand:
			errs = append(errs, errors.New("final stage RUNs a command, but distroless has no shell"))
		case *instructions.UserCommand:
			user = c.User
		case *instructions.ExposeCommand:
			exposed = append(exposed, c.Ports...)
		case *instructions.VolumeCommand:
			volumes = append(volumes, c.Volumes...)
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				env[kv.Key] = kv.Value
			}
		case *instructions.EntrypointCommand:
			entrypoint = c.CmdLine
		}
	}
	if uid, _, _ := strings.Cut(user, ":"); uid == "" || uid == "0" || uid == "root" {
		errs = append(errs, fmt.Errorf("final stage USER is %q, want a non-root user (65532, distroless's nonroot)", user))
	}
	for _, p := range []string{"4180", "9180"} {
		if !slices.Contains(exposed, p) && !slices.Contains(exposed, p+"/tcp") {
			errs = append(errs, fmt.Errorf("final stage does not EXPOSE %s", p))
		}
	}
	if env["DATA_DIR"] != "/data" || !slices.Contains(volumes, "/data") {
		errs = append(errs, errors.New("final stage wants ENV DATA_DIR=/data and VOLUME /data"))
	}
	if len(entrypoint) == 0 || !copiedTo(copied, entrypoint[0]) {
		errs = append(errs, fmt.Errorf("ENTRYPOINT %v is not a file the final stage copies in", entrypoint))
	}
	return errs
}

// copiedTo reports whether a COPY destination is file, or a directory holding it.
func copiedTo(dests []string, file string) bool {
	for _, d := range dests {
		if d == file || (strings.HasSuffix(d, "/") && path.Dir(file) == path.Clean(d)) {
			return true
		}
	}
	return false
}
