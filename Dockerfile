# Production image of the DMP FHIR server. Built once (no build at start-up), run as the unprivileged `node` user.
#   docker build -t dmp-fhir .        (docker-compose.yml does this for you)
# Checked without a Docker engine by test/unit/deploy-files.test.ts (our CI machines have none).

# --- build: the whole toolchain, compiles src/ to dist/ -------------------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies and the compiled server only --------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/var/lib/dmp
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY profiles ./profiles
# DATA_DIR holds the patient sign-in key when LOGIN_ISSUER_KEY is not given: a volume, owned by the user we run as.
RUN mkdir -p /var/lib/dmp && chown node:node /var/lib/dmp
VOLUME ["/var/lib/dmp"]
USER node
EXPOSE 8080
# Ready = the database answers (/readyz); Node 20 has fetch, so no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself, not npm start: signals reach the server (graceful shutdown) and nothing is built at start-up.
CMD ["node", "dist/main.js"]
