# One image for every shopgraph process: the router, each subgraph, the workers and the one-shot migrate job.
# docker-compose.yml picks the process with `command`; the default is the router.
#   docker build -t shopgraph .

FROM node:20-bookworm-slim AS base
# Prisma's CLI probes OpenSSL to name its platform (the slim image has none); without it, it warns on every run.
RUN apt-get update \
  && apt-get install -y --no-install-recommends openssl \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# --- build: dependencies first (a cached layer while package files are unchanged), then the sources.
FROM base AS build
COPY package.json package-lock.json ./
# --ignore-scripts: the root postinstall needs the source tree, which is not copied yet, and no dependency needs
# its own install script: Prisma runs on its JavaScript engine, sharp/argon2/esbuild ship prebuilt npm packages.
RUN npm ci --include=dev --ignore-scripts --no-audit --no-fund
COPY . .
# What the postinstall does: generate each subgraph's Prisma client and the GraphQL resolver types (these tools
# are dev dependencies), then drop the dev dependencies.
RUN npm run generate \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

# --- runtime
FROM base
ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  CHECKPOINT_DISABLE=1 \
  NPM_CONFIG_UPDATE_NOTIFIER=false
# Code stays owned by root, read-only for the service user; only the image store is writable.
COPY --from=build /app /app
# .secrets receives the demo credentials when SEED_DEMO_DATA=true.
RUN mkdir -p /app/var/storage /app/.secrets && chown node:node /app/var/storage /app/.secrets
USER node
EXPOSE 4000
CMD ["node", "--import", "tsx", "router/src/index.ts"]
