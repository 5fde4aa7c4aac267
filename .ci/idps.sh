#!/usr/bin/env bash
# Builds the OpenID providers of the interop matrix (e2e/interop) once and caches them outside
# the repository, in ${SSOGATE_IDP_CACHE:-$HOME/.cache/ssogate-idps}/<name>-<version>/<binary>.
# A provider whose binary is already cached is skipped, so a warm run costs nothing.
# Each provider is built in a throwaway module of its own (never in this module), from the Go
# module proxy, with the same replaces its own go.mod declares (a dependency's replaces are
# ignored by the go command). Prints the build time of each provider.
#
# Usage: .ci/idps.sh [hydra|dex|zitadel ...]   (default: all)
set -euo pipefail

cache=${SSOGATE_IDP_CACHE:-$HOME/.cache/ssogate-idps}
mkdir -p "$cache"

# build NAME VERSION BINARY PACKAGE@VERSION CGO TAGS [REPLACE...]
build() {
	local name=$1 version=$2 binary=$3 tool=$4 cgo=$5 tags=$6
	shift 6
	local dir="$cache/$name-$version"
	if [[ -x $dir/$binary ]]; then
		echo "$name $version: cached at $dir/$binary"
		return 0
	fi
	local start=$SECONDS
	local src
	src=$(mktemp -d "$cache/.build-$name.XXXXXX")
	(
		cd "$src"
		go mod init "ssogate.invalid/idpbuild/$name" >/dev/null 2>&1
		for r in "$@"; do
			go mod edit -replace "$r"
		done
		go get -tool "$tool"
		CGO_ENABLED=$cgo go build -trimpath -tags "$tags" -o "$src/$binary" "${tool%@*}"
	)
	mkdir -p "$dir"
	mv "$src/$binary" "$dir/$binary"
	rm -rf "$src"
	echo "$name $version: built in $((SECONDS - start))s -> $dir/$binary"
}

want=("$@")
if ((${#want[@]} == 0)); then
	want=(hydra dex zitadel)
fi
for p in "${want[@]}"; do
	case $p in
	hydra)
		# Hydra's go.mod replaces gobuffalo/pop/v6 by Ory's fork; the sqlite tags give DSN=memory.
		build hydra v2.3.0 hydra github.com/ory/hydra/v2@v2.3.0 1 sqlite,sqlite_omit_load_extension \
			github.com/gobuffalo/pop/v6=github.com/ory/pop/v6@v6.2.1-0.20241121111754-e5dfc0f3344b
		;;
	dex)
		# Dex v2.45.1: its v2 tags are not module versions, so the tag's pseudo-version.
		build dex v2.45.1 dex github.com/dexidp/dex/cmd/dex@v0.0.0-20260303133905-11d2eeb52b42 1 ""
		;;
	zitadel)
		build zitadel-op v3.52.0 zitadel-op github.com/zitadel/oidc/v3/example/server@v3.52.0 0 ""
		;;
	*)
		echo "unknown provider $p (known: hydra dex zitadel)" >&2
		exit 2
		;;
	esac
done
