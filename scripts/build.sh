#!/bin/sh
# The one release build of ssogate, used by the Dockerfile and by CI:
# a static, stripped binary with reproducible paths and the version stamped in.
#
#   VERSION=v1.2.3 OUT=dist/ssogate scripts/build.sh
#
# VERSION defaults to "dev", OUT to ./ssogate.
set -eu
cd "$(dirname "$0")/.."
VERSION=${VERSION:-dev}
OUT=${OUT:-ssogate}
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$OUT" .
