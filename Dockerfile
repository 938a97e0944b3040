# syntax=docker/dockerfile:1
#
# One image for both app processes (STYLE §11). The default command runs the web
# (webhooks, REST API, Remix inbox); `npm run start:worker` runs the Temporal worker and
# `npm run db:migrate` the migrations. docker-compose.yml uses it all three ways.
#
# The processes run their TypeScript sources through tsx (a runtime dependency), so the image
# ships the sources plus what `npm run build` makes: build/web (the Remix build the web serves)
# and build/workflows/bundle.js (the prebuilt workflow bundle; set WORKFLOW_BUNDLE_PATH).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, then the Remix build and the workflow bundle -------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

# patches/ before `npm ci`: its postinstall applies them (patch-package; see patches/README.md).
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci

# The source is listed instead of `COPY . .` so local state never enters the image
# (node_modules/, .data/ with the embedded Postgres cluster, build/, .env).
# test/support holds the factories the demo seed (db/seeds/demo.ts) is built from.
COPY tsconfig.json vite.config.mts ./
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY api ./api
COPY web ./web
COPY db ./db
COPY scripts ./scripts
COPY test/support ./test/support

# --ignore-scripts: the patches are applied already, and patch-package is a dev dependency.
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts

# ---- runtime: production dependencies, sources and build output; no npm install here ---------
FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false

COPY --from=build /app /app

# The `node` user (uid 1000) comes with the base image; the app only reads /app.
USER node
EXPOSE 3000
CMD ["npm", "run", "start:web"]
