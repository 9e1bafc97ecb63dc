# The one Dockerfile of the three images; the build arguments say which service it packs. Build context is
# the repository root:
#   docker compose build pull push                      (compose passes the arguments)
#   docker build --build-arg SERVICE_DIR=pull-service --build-arg SERVICE_PACKAGE=@goldpdv/pull-service \
#     -t goldpdv/pull-service .
#   docker build --build-arg SERVICE_DIR=push-service --build-arg SERVICE_PACKAGE=@goldpdv/push-service \
#     -t goldpdv/push-service .
#   docker build --build-arg SERVICE_DIR=packages/central-api --build-arg SERVICE_PACKAGE=@goldpdv/central-api \
#     --build-arg PORT=8090 -t goldpdv/central-api .
# `pnpm rehearse:images` carries this file out without a Docker engine (docs/docker.md says what it checks).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------------------
# build: the workspace's dependencies, the service's TypeScript build, then a self-contained production tree
# in /out.
# ---------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
ARG SERVICE_DIR
ARG SERVICE_PACKAGE

# pnpm from npm rather than corepack: corepack on Node 20 fails pnpm's signature check.
RUN npm i -g pnpm@9 && npm cache clean --force

WORKDIR /repo

# Manifests and lockfile alone first, so the install layer is reused until a dependency changes; it is the
# same for the three images, so one build shares it between them.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
COPY packages/core/package.json packages/core/
COPY packages/central-api/package.json packages/central-api/
COPY pull-service/package.json pull-service/
COPY push-service/package.json push-service/
RUN pnpm install --frozen-lockfile

COPY tsconfig.base.json ./
COPY packages/core packages/core
COPY ${SERVICE_DIR} ${SERVICE_DIR}
# Only this service and what its tsconfig references (core): the root `pnpm build` would also compile
# packages this image does not ship.
RUN pnpm exec tsc -b ${SERVICE_DIR}

# A copy of the package with its production dependencies only (no PGlite, no test tools), limited to its
# "files"; @goldpdv/core (workspace:*) is copied in as a real package. Not --offline: `pnpm install
# --frozen-lockfile` fills the store with packages but not with registry metadata, so an offline deploy fails
# with ERR_PNPM_NO_OFFLINE_META on a fresh build.
RUN pnpm deploy --filter ${SERVICE_PACKAGE} --prod /out

# ---------------------------------------------------------------------------------------------------------
# runtime: Node, tini, the service, its production node_modules and the SQL scripts. No pnpm, no store, no
# sources, no compilers.
# ---------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# The port of /health/live, /health/ready and /metrics (and central-api's own API, which serves them).
ARG PORT=8080

# tini as PID 1 forwards SIGTERM to node (graceful stop within stop_grace_period) and reaps zombies, so a
# plain `docker run` behaves like compose's `init: true`. -s keeps it a subreaper, and silent, when
# compose's own init is PID 1 above it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    DB_SCHEMA_DIR=/app/common \
    HEALTH_PORT=${PORT} \
    HTTP_PORT=${PORT}

WORKDIR /app

# Pre-created and owned by node: a named volume mounted here starts as a copy of it, owner included, so
# the non-root process can write its rotating log files (LOG_DIR=/var/log/goldpdv).
RUN mkdir -p /var/log/goldpdv && chown node:node /var/log/goldpdv

# package.json ("type": "module", which dist/ needs), node_modules, dist/ and the package's other "files"
# (pull-service's default mapping). Everything stays owned by root and read-only for the node user.
COPY --from=build /out/ ./
# The schema runner applies common/<dialect>/<role>/*.sql at start (DB_SCHEMA_DIR above).
COPY common ./common

USER node

EXPOSE ${PORT}

# The probe honours HEALTH_PORT / HEALTH_URL from the container's environment, so it follows .env.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "/app/node_modules/@goldpdv/core/dist/health/healthcheck-main.js"]

ENTRYPOINT ["/usr/bin/tini", "-s", "--"]
CMD ["node", "dist/main.js"]
