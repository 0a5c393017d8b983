# landlord: one image, the subcommand picks the role (api, worker, migrate).
FROM golang:1.26-bookworm AS source
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The portal's API types come from the OpenAPI document this source serves
# (the binary that prints it embeds an empty portal until the portal is built).
RUN mkdir -p web/dist && touch web/dist/.gitkeep && go run ./cmd/landlord openapi > /openapi.json

FROM node:20-bookworm-slim AS portal
WORKDIR /web
COPY web/package.json web/package-lock.json web/.npmrc ./
RUN npm ci
COPY web/ ./
COPY --from=source /openapi.json ./openapi.json
RUN npm run build

FROM source AS build
COPY --from=portal /web/dist ./web/dist
# docker build --build-arg VERSION=$(git describe --tags --always) --build-arg COMMIT=$(git rev-parse HEAD)
ARG VERSION=dev COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/landlord ./cmd/landlord

FROM debian:bookworm-slim
# pg_dump and pg_restore take and verify tenant backups when tenants are offboarded.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 landlord \
    && install -d -o landlord -g landlord -m 0700 /var/lib/landlord/backups
# A volume mounted here starts owned by landlord, so the non-root worker can write backups.
VOLUME /var/lib/landlord/backups
COPY --from=build /out/landlord /usr/local/bin/landlord
USER landlord
ENTRYPOINT ["landlord"]
