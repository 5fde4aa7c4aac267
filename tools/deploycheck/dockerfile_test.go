package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodDockerfile = `FROM golang:1.26 AS build
WORKDIR /src
COPY . .
RUN OUT=/out/ssogate scripts/build.sh

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ssogate /usr/local/bin/ssogate
ENV DATA_DIR=/data
VOLUME /data
EXPOSE 4180 9180
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ssogate"]
`

func checkDockerfileText(t *testing.T, text string) error {
	t.Helper()
	file := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return CheckDockerfile(file)
}

func TestCheckDockerfileAcceptsGood(t *testing.T) {
	if err := checkDockerfileText(t, goodDockerfile); err != nil {
		t.Errorf("CheckDockerfile(good) = %v", err)
	}
}

func TestCheckDockerfileRejects(t *testing.T) {
	cases := []struct{ name, old, new, want string }{
		{"no build script", "RUN OUT=/out/ssogate scripts/build.sh", "RUN go build -o /out/ssogate .", "scripts/build.sh"},
		{"other runtime base", "FROM gcr.io/distroless/static-debian12:nonroot", "FROM debian:12", "final stage is FROM debian:12"},
		{"root user", "USER 65532:65532", "USER root", "non-root"},
		{"no user", "USER 65532:65532\n", "", "non-root"},
		{"ops port not exposed", "EXPOSE 4180 9180", "EXPOSE 4180", "EXPOSE 9180"},
		{"no data volume", "VOLUME /data\n", "", "VOLUME /data"},
		{"copy from the context", "COPY --from=build /out/ssogate", "COPY ssogate", "build context"},
		{"entrypoint not copied", `ENTRYPOINT ["/usr/local/bin/ssogate"]`, `ENTRYPOINT ["/bin/ssogate"]`, "ENTRYPOINT"},
		{"shell in distroless", "VOLUME /data\n", "VOLUME /data\nRUN mkdir /x\n", "no shell"},
		{"lint: casing", "FROM golang:1.26 AS build", "FROM golang:1.26 as build", "FromAsCasing"},
		{"unknown instruction", "WORKDIR /src", "WORKDIRR /src", "unknown instruction"},
		{"single stage", goodDockerfile[:strings.Index(goodDockerfile, "\nFROM gcr")], "FROM scratch", "found 1 stage"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(goodDockerfile, c.old) {
				t.Fatalf("test bug: %q is not in the Dockerfile", c.old)
			}
			text := strings.Replace(goodDockerfile, c.old, c.new, 1)
			if c.name == "single stage" {
				text = "FROM scratch\nCOPY a /a\n"
			}
			err := checkDockerfileText(t, text)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
