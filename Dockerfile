# syntax=docker/dockerfile:1
# ssogate container image: a static binary on distroless, running as a non-root user.
#
#   docker build --build-arg VERSION=v1.2.3 -t ssogate:v1.2.3 .
#
# Ports: 4180 public listener (LISTEN_ADDR), 9180 health and metrics (OPS_ADDR).
# There is no HEALTHCHECK: the image has no shell or HTTP client to run one. Probe
# /healthz and /readyz on port 9180 from the orchestrator (the Helm chart does).

# Build on the builder's own platform and cross-compile for the target one.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
# scripts/build.sh is the one release build, shared with CI.
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH VERSION=$VERSION OUT=/out/ssogate scripts/build.sh \
	&& mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ssogate /usr/local/bin/ssogate
# DATA_DIR holds saved settings and generated keys; it must be writable by the
# nonroot user (65532). Mount a volume there so they survive restarts.
COPY --from=build --chown=65532:65532 /out/data /data
ENV DATA_DIR=/data
VOLUME /data
EXPOSE 4180 9180
# The distroless "nonroot" user, numeric so that Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ssogate"]
CMD ["serve"]
