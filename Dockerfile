# Gatehouse container image: built with the dev toolchain, run with production dependencies only,
# as the unprivileged "node" user. Node 24 is an LTS line; Node >= 20.19 is supported.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
# Memory: glibc gives each thread its own malloc arena and keeps what argon2 frees there (19 MiB per
# password hash, on pool threads); two arenas hand it back. The V8 heap limit sits well above the
# working set (about 50 MB under load) and keeps old-generation garbage from piling up to hundreds
# of MB between collections; raise it for very large deployments. `npm run bench` and
# `npm run bench:soak` run the server with these same two settings (read from this file).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    GATEHOUSE_DATA_DIR=/data \
    MALLOC_ARENA_MAX=2 \
    NODE_OPTIONS=--max-old-space-size=160
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY views ./views
COPY resources ./resources
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
