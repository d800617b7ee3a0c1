# The reference server's image: the static renewkit binary and the default fixtures,
# nothing else (no base image to pull). Build it with `make image`, which compiles the
# binary with CGO_ENABLED=0 and lays out the build context in build/image/.
FROM scratch

COPY renewkit /renewkit
COPY fixtures.yaml /etc/renewkit/fixtures.yaml
# Writable directories for the SQLite store and its temporary files, owned by the
# unprivileged user the server runs as (scratch has no /etc/passwd: numeric IDs).
COPY --chown=65534:65534 data /data
COPY --chown=65534:65534 tmp /tmp

ENV TMPDIR=/tmp
USER 65534:65534
EXPOSE 8080
VOLUME ["/data"]

ENTRYPOINT ["/renewkit", "serve", "--addr", ":8080", "--store", "sqlite:/data/renewkit.db", "--fixtures", "/etc/renewkit/fixtures.yaml", "--log-format", "json"]
