package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// composeRef matches a variable reference in a compose file: $NAME or ${NAME…}
// ($$ is a literal dollar sign).
var composeRef = regexp.MustCompile(`\$\$|\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// CheckCompose checks a docker-compose file against the Compose specification's schema
// (with every profile on and the variables of envExample), that envExample defines
// exactly the variables the file uses, and that the gateway service (gatewayService)
// gets only settings the gateway knows.
func CheckCompose(file, envExample, gatewayService string, settings Settings) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	f, err := os.Open(envExample)
	if err != nil {
		return err
	}
	defer f.Close()
	env, err := dotenv.Parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", envExample, err)
	}
	var errs []error
	used := map[string]bool{}
	for _, m := range composeRef.FindAllStringSubmatch(string(raw), -1) {
		if m[1] != "" {
			used[m[1]] = true
		}
	}
	for _, name := range sortedKeys(used) {
		if _, ok := env[name]; !ok {
			errs = append(errs, fmt.Errorf("%s uses ${%s}, which %s does not define", filepath.Base(file), name, filepath.Base(envExample)))
		}
	}
	for _, name := range sortedKeys(env) {
		if !used[name] {
			errs = append(errs, fmt.Errorf("%s defines %s, which %s does not use", filepath.Base(envExample), name, filepath.Base(file)))
		}
	}
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  filepath.Dir(file),
		ConfigFiles: []types.ConfigFile{{Filename: file, Content: raw}},
		Environment: env,
	}, func(o *loader.Options) {
		o.SetProjectName("deploycheck", true)
		o.Profiles = []string{"*"}
	})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("%s: %w", filepath.Base(file), err))...)
	}
	svc, ok := project.Services[gatewayService]
	if !ok {
		return errors.Join(append(errs, fmt.Errorf("%s has no service %q", filepath.Base(file), gatewayService))...)
	}
	for _, name := range sortedKeys(svc.Environment) {
		if _, ok := allowedEnv[name]; !settings.Known[name] && !ok {
			errs = append(errs, fmt.Errorf("%s: service %s: %s is not a gateway setting (ssogate --help)", filepath.Base(file), gatewayService, name))
		}
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return slices.Clip(keys)
}
