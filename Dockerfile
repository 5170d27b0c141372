# The faultline CLI as an image, for the shards of a Kubernetes Indexed Job (deploy/k8s-indexed-job.yaml),
# queue workers (`faultline worker`) or any batch system:
#   docker build -t faultline .
#   docker run --rm -v "$PWD/out:/out" faultline run --suite ci --out /out/ci
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json index.ts ./
COPY common common
COPY sim sim
COPY data data
COPY detectors detectors
COPY trees trees
COPY rca rca
COPY scores scores
COPY reports reports
COPY pipeline pipeline
COPY anonymise anonymise
COPY scripts scripts
COPY scenarios scenarios
# npm ci installs from the lockfile and builds (the package's prepare script: npm run build).
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# What the CLI reads at run time: the compiled code, its dependencies, scenarios and tree rules.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/scenarios scenarios
COPY --from=build /app/trees/rules trees/rules
RUN chmod +x dist/cli/faultline.js && ln -s /app/dist/cli/faultline.js /usr/local/bin/faultline
USER node
ENTRYPOINT ["faultline"]
CMD ["--help"]
