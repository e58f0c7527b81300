# syntax=docker/dockerfile:1
# confdash: one static binary on a distroless base.
#   docker build -t confdash .
#   docker run -p 8080:8080 -e CONFDASH_ADMIN_TOKEN=change-me confdash

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Keep in sync with .ci/run (a test checks they match). Time zone data is
# embedded in the binary (time/tzdata), so the base image needs none.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/confdash ./cmd/confdash

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="confdash" \
      org.opencontainers.image.description="Live conference-day dashboard: now/next per track on tabs, venue screens and stream overlays" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/confdash/confdash"
COPY --from=build /out/confdash /usr/local/bin/confdash
# USER before WORKDIR: BuildKit creates the directory as this user, so the
# state volume starts out writable by the server.
USER nonroot:nonroot
WORKDIR /data
VOLUME ["/data"]
ENV CONFDASH_ADDR=":8080" \
    CONFDASH_STATE="/data/state.json" \
    CONFDASH_LOG_FORMAT="json"
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=4s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/confdash", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/confdash"]
CMD ["serve"]
