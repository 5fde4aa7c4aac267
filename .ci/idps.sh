#!/usr/bin/env bash
# Builds the OpenID providers of the interop matrix (e2e/interop) once and caches them outside
# the repository, in ${SSOGATE_IDP_CACHE:-$HOME/.cache/ssogate-idps}/<name>-<version>/<binary>.
# A provider whose binary is already cached is skipped, so a warm run costs nothing.
# Each provider is built in a throwaway module of its own (never in this module), from the Go
# module proxy, with the same replaces its own go.mod declares (a dependency's replaces are
# ignored by the go command). Prints the build time of each provider.
# The zitadel/oidc example OP runs inside a small program of ours, testdata/zitadel-op (a
# module of its own, so this module's build never sees it); its cache directory is named
# after a hash of that program's files, so a change to them builds it again.
#
# Usage: .ci/idps.sh [hydra|dex|zitadel ...]   (default: all)
set -euo pipefail

cache=${SSOGATE_IDP_CACHE:-$HOME/.cache/ssogate-idps}
mkdir -p "$cache"

# cached LABEL DIR BINARY BUILDER [ARGS...]: unless DIR/BINARY is there, runs
# BUILDER OUT ARGS..., which builds BINARY into OUT (a fresh directory in the cache), and
# moves it to DIR/BINARY. Prints that it was cached or how long the build took.
cached() {
	local label=$1 dir=$2 binary=$3 builder=$4
	shift 4
	if [[ -x $dir/$binary ]]; then
		echo "$label: cached at $dir/$binary"
		return 0
	fi
	local start=$SECONDS out
	out=$(mktemp -d "$cache/.build-$binary.XXXXXX")
	"$builder" "$out" "$@"
	mkdir -p "$dir"
	mv "$out/$binary" "$dir/$binary"
	rm -rf "$out"
	echo "$label: built in $((SECONDS - start))s -> $dir/$binary"
}

# build NAME VERSION BINARY PACKAGE@VERSION CGO TAGS [REPLACE...]: a provider from the
# module proxy, cached in NAME-VERSION.
build() {
	cached "$1 $2" "$cache/$1-$2" "$3" go_tool "$@"
}

# go_tool OUT NAME VERSION BINARY PACKAGE@VERSION CGO TAGS [REPLACE...]: builds the tool
# in a throwaway module in OUT.
go_tool() {
	local out=$1 name=$2 binary=$4 tool=$5 cgo=$6 tags=$7
	shift 7
	(
		cd "$out"
		go mod init "ssogate.invalid/idpbuild/$name" >/dev/null 2>&1
		for r in "$@"; do
			go mod edit -replace "$r"
		done
		go get -tool "$tool"
		CGO_ENABLED=$cgo go build -trimpath -tags "$tags" -o "$out/$binary" "${tool%@*}"
	)
}

# srchash DIR: the first 12 hex digits of the SHA-256 of `sha256sum` over DIR's files in
# name order (e2e/interop computes the same to find the binary).
srchash() {
	local files
	mapfile -t files < <(LC_ALL=C ls "$1")
	(cd "$1" && sha256sum -- "${files[@]}") | sha256sum | cut -c1-12
}

# build_local NAME BINARY SRCDIR: builds the module in SRCDIR (pinned by its go.sum),
# cached in NAME-<srchash of SRCDIR>.
build_local() {
	cached "$1" "$cache/$1-$(srchash "$3")" "$2" go_src "$2" "$3"
}

# go_src OUT BINARY SRCDIR: builds the module in SRCDIR into OUT/BINARY.
go_src() {
	(cd "$3" && CGO_ENABLED=0 go build -trimpath -o "$1/$2" .)
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
		# The example OP (github.com/zitadel/oidc/v3 v3.52.0, see its go.mod) with our clients.
		build_local zitadel-op zitadel-op "$(dirname "${BASH_SOURCE[0]}")/../testdata/zitadel-op"
		;;
	*)
		echo "unknown provider $p (known: hydra dex zitadel)" >&2
		exit 2
		;;
	esac
done
