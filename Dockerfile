# syntax=docker/dockerfile:1
# edgebench, the exporter, with the test-machine-side benchmark clients (nuttcp, netperf, iperf3).
# Build:  docker build -t edgebench .      Run: see docker-compose.yml and docs/docker-compose.md.
ARG NODE_IMAGE=node:20-bookworm-slim

# Compile TypeScript to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the build needs none, and ssh2's optional native binding needs a toolchain slim lacks.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build-info.mjs ./scripts/
RUN npm run build

# Production dependencies only, without dev tools or the npm cache. better-sqlite3 (the journal)
# is native: its install script fetches a prebuilt binding, else compiles SQLite with the toolchain
# installed here, which stays in this stage. ssh2 falls back to Node's own crypto without its
# optional binding, so no other install script runs.
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && node -e "new (require('better-sqlite3'))(':memory:').close()" \
 && npm cache clean --force

FROM ${NODE_IMAGE}
ARG EDGEBENCH_VERSION=0.1.0
LABEL org.opencontainers.image.title="edgebench" \
      org.opencontainers.image.description="Continuous native-vs-LXC benchmarks of embedded devices over SSH, exported to Prometheus" \
      org.opencontainers.image.source="https://github.com/edgebench/edgebench" \
      org.opencontainers.image.url="https://github.com/edgebench/edgebench" \
      org.opencontainers.image.documentation="https://github.com/edgebench/edgebench/blob/main/docs/docker-compose.md" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${EDGEBENCH_VERSION}" \
      org.opencontainers.image.base.name="docker.io/library/node:20-bookworm-slim"

# netperf lives in Debian's non-free: add that component in its own deb822 file, so the base
# image's debian.sources stays as shipped. iproute2 gives `ip route get`, which tells the TM link
# each DUT's traffic leaves through.
RUN set -eux; \
    . /etc/os-release; \
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s %s-updates\nComponents: non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$VERSION_CODENAME" "$VERSION_CODENAME" > /etc/apt/sources.list.d/debian-non-free.sources; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      nuttcp netperf iperf3 iproute2 ca-certificates; \
    rm -rf /var/lib/apt/lists/*; \
    nuttcp -V; netperf -V; iperf3 --version; ip -V

# A fixed unprivileged uid, so the mounted SSH key can be made readable to it alone (chown 10001).
# /var/lib/edgebench holds the journal: owned by that uid, so a new named volume there is too.
RUN groupadd --system --gid 10001 edgebench \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin edgebench \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/edgebench

WORKDIR /app
ENV NODE_ENV=production \
    EDGEBENCH_HEALTHCHECK_URL=http://127.0.0.1:9877/-/healthy
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY schema ./schema

USER 10001:10001
EXPOSE 9877
# No curl in slim: Node's own fetch. Override the URL when `listen` is not :9877.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.EDGEBENCH_HEALTHCHECK_URL, { signal: AbortSignal.timeout(5000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["serve", "-c", "/etc/edgebench/edgebench.yml"]
