// Command deploycheck checks ssogate's deployment files offline, as CI runs them:
//
//	deploycheck static BINARY
//	    the binary is statically linked (no PT_INTERP, no DT_NEEDED)
//	deploycheck docker -root REPO -context-out DIR
//	    the Dockerfile parses and lints cleanly with BuildKit's parser and describes the
//	    image we promise; DIR receives the build context .dockerignore lets through
//	deploycheck all -root REPO -usage FILE
//	    FILE is the output of `ssogate --help`. Lints and renders the Helm chart with each
//	    values example (the helm library, as `helm lint --strict` and `helm template` do),
//	    decodes every manifest strictly against the Kubernetes API types, checks
//	    references between objects and the gateway container's hardening, checks the
//	    values that must not render, the plain sidecar manifests and the compose file.
//
// It is a separate module so that the gateway's own go.mod does not carry Helm and the
// Kubernetes libraries.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "deploycheck:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: deploycheck static BINARY | docker -root REPO -context-out DIR | all -root REPO -usage FILE")
	}
	logf := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	switch args[0] {
	case "static":
		if len(args) != 2 {
			return errors.New("usage: deploycheck static BINARY")
		}
		if err := CheckStatic(args[1]); err != nil {
			return err
		}
		logf("ok   %s is statically linked", args[1])
		return nil
	case "docker":
		fs := flag.NewFlagSet("docker", flag.ContinueOnError)
		root := fs.String("root", ".", "the repository")
		ctx := fs.String("context-out", "", "copy the build context here")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if err := CheckDockerfile(filepath.Join(*root, "Dockerfile")); err != nil {
			return err
		}
		logf("ok   Dockerfile")
		if *ctx == "" {
			return nil
		}
		n, err := CopyContext(*root, *ctx)
		if err != nil {
			return err
		}
		logf("ok   build context: %d files copied to %s", n, *ctx)
		return nil
	case "all":
		fs := flag.NewFlagSet("all", flag.ContinueOnError)
		root := fs.String("root", ".", "the repository")
		usage := fs.String("usage", "", "a file holding the output of ssogate --help")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		text, err := os.ReadFile(*usage)
		if err != nil {
			return err
		}
		settings, err := ParseSettings(string(text))
		if err != nil {
			return err
		}
		return CheckAll(*root, settings, logf)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// CheckAll runs every check on the deployment files under root.
func CheckAll(root string, settings Settings, logf func(string, ...any)) error {
	errs := []error{CheckChart(filepath.Join(root, "deploy", "helm", "ssogate"), settings, logf)}
	sidecar := filepath.Join(root, "deploy", "kubernetes", "sidecar.yaml")
	if err := CheckManifestFile(sidecar, settings); err != nil {
		errs = append(errs, err)
	} else {
		logf("ok   %s", sidecar)
	}
	if objs, err := renderEverySetting(filepath.Join(root, "deploy", "helm", "ssogate")); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, CheckMonitoring(root, objs, logf))
	}
	compose := filepath.Join(root, "deploy", "compose", "docker-compose.yaml")
	if err := CheckCompose(compose, filepath.Join(root, "deploy", "compose", ".env.example"), "ssogate", settings); err != nil {
		errs = append(errs, err)
	} else {
		logf("ok   %s", compose)
	}
	return errors.Join(errs...)
}

// CheckManifestFile checks plain Kubernetes manifests as the rendered chart is checked.
func CheckManifestFile(file string, settings Settings) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	objs, err := DecodeStrict(string(raw))
	if err == nil {
		err = errors.Join(CheckObjects(objs), CheckGateway(objs, settings, allowedEnv))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}
