# gregord in a container: the TypeScript is built in a first stage, then run by a non-root user
# with signed session tokens, listening on every interface (docs/configuration.md "Docker").
#
#   docker build -t gregord .
#   docker run -p 9911:9911 -p 9912:9912 -e GREGOR_TOKEN_SECRET=... -v gregor-data:/data gregord

FROM node:20-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary fits the platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY packages/client/package.json packages/client/tsconfig.build.json packages/client/
COPY packages/server/package.json packages/server/tsconfig.build.json packages/server/
RUN npm ci
COPY packages/client/src packages/client/src
COPY packages/server/src packages/server/src
COPY packages/server/bin packages/server/bin
# Both workspaces are built; the source is dropped, the launcher then runs dist/.
RUN npm run build && npm prune --omit=dev && rm -rf packages/*/src

FROM node:20-slim
WORKDIR /app
# Options are set through their variables, so `docker run -e …` can change any of them; without
# GREGOR_TOKEN_SECRET the secret is generated once into /data/token-secret.
ENV NODE_ENV=production \
    BIND_ADDRESS=0.0.0.0:9911 \
    HTTP_ADDRESS=0.0.0.0:9912 \
    GREGOR_DATA_DIR=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages ./packages
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 9911 9912
HEALTHCHECK --interval=30s --timeout=5s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9912/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) shuts gregord down gracefully; node runs as PID 1 and handles it itself.
CMD ["node", "packages/server/bin/gregord.js"]
