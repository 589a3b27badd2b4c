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
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

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
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 9911 9912
HEALTHCHECK --interval=30s --timeout=5s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9912/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) shuts gregord down gracefully; node runs as PID 1 and handles it itself.
CMD ["node", "bin/gregord.js"]
