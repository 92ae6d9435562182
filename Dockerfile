# One image with every dbaas service binary (and dbaasctl once it exists); the first argument
# picks the service:
#   docker build -t dbaas .
#   docker run --rm -e DBAAS_DATABASE_URL=... -e DBAAS_NATS_URL=... -p 8081:8081 dbaas access-control
# The services read only DBAAS_* environment variables (see docs/architecture.md).

# ---- build: the same packages as a developer machine, installed by the same script
FROM debian:12 AS build
COPY deploy/local/install-deps /src/deploy/local/install-deps
RUN /src/deploy/local/install-deps && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake --preset release \
 && cmake --build --preset release \
 && mkdir -p /out \
 && find build/release -type f -perm -u+x \( -name 'dbaas-*' -o -name dbaasctl \) -exec cp {} /out/ \; \
 && ls /out/dbaas-* >/dev/null

# ---- runtime: only the shared libraries the binaries link (the runtime halves of the -dev
# packages in install-deps) plus the PostgreSQL/MariaDB clients and curl for probes. When a
# binary starts linking a new library, add its package here (`ldd` + `dpkg -S` name it).
FROM debian:12 AS runtime
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates curl \
      libpqxx-6.4 libspdlog1.10 libfmt9 libssl3 libnats3.4 libprotobuf32 \
      libargon2-1 libzstd1 libmysqlcppconn7v5 libstdc++6 \
      postgresql-client mariadb-client \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /usr/local/bin/
RUN useradd --system --create-home --home-dir /var/lib/dbaas --shell /usr/sbin/nologin dbaas \
 && mkdir -p /var/lib/dbaas/secrets && chmod 0700 /var/lib/dbaas/secrets \
 && chown -R dbaas:dbaas /var/lib/dbaas \
 && printf '%s\n' \
      '#!/bin/sh' \
      '# Runs the dbaas service named by the first argument (dbaasctl runs the client).' \
      'set -eu' \
      'name="${1:-}"' \
      '[ $# -eq 0 ] || shift' \
      'if [ "$name" = dbaasctl ] && [ -x /usr/local/bin/dbaasctl ]; then exec /usr/local/bin/dbaasctl "$@"; fi' \
      'if [ -n "$name" ] && [ -x "/usr/local/bin/dbaas-$name" ]; then exec "/usr/local/bin/dbaas-$name" "$@"; fi' \
      'echo "usage: docker run IMAGE <service> [args]; services in this image:" >&2' \
      'for b in /usr/local/bin/dbaas-*; do [ "$b" = /usr/local/bin/dbaas-entrypoint ] || echo "  ${b#/usr/local/bin/dbaas-}" >&2; done' \
      'exit 64' \
      >/usr/local/bin/dbaas-entrypoint \
 && chmod 0755 /usr/local/bin/dbaas-entrypoint
USER dbaas
WORKDIR /var/lib/dbaas
# In a container the service must listen on every interface; state and the master key file
# live in the dbaas user's home (mount a volume there, or pass DBAAS_MASTER_KEY).
ENV DBAAS_HTTP_HOST=0.0.0.0 \
    DBAAS_STATE_DIR=/var/lib/dbaas
EXPOSE 8080-8089
ENTRYPOINT ["/usr/local/bin/dbaas-entrypoint"]
CMD []
