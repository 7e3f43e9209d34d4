# syntax=docker/dockerfile:1

# ---- build ----------------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /src

# 1. Dependency layer: manifests + stub sources, so that editing the real code
#    does not rebuild the crates.io dependencies.
COPY Cargo.toml Cargo.lock ./
COPY domain/Cargo.toml domain/
COPY persistence/Cargo.toml persistence/build.rs persistence/
COPY api/Cargo.toml api/
RUN mkdir -p domain/src persistence/src api/src src \
 && touch domain/src/lib.rs persistence/src/lib.rs api/src/lib.rs \
 && echo 'fn main() {}' > src/main.rs \
 && cargo build --release --locked --bin retiree-service

# 2. Real sources. docs/ is needed by include_str! in domain, resources/ (the
#    bundled division files) by the demo seed, migrations/ by embed_migrations!
#    in persistence. Touch the sources so cargo rebuilds the
#    workspace crates even if their mtimes predate the stub build.
COPY docs docs
COPY resources resources
COPY domain domain
COPY persistence persistence
COPY api api
COPY src src
RUN find domain persistence api src -name '*.rs' -exec touch {} + \
 && cargo build --release --locked --bin retiree-service \
 && install -m 0755 target/release/retiree-service /usr/local/bin/retiree-service

# ---- runtime --------------------------------------------------------------
FROM debian:bookworm-slim
# libssl3: the bundled libpq is built against the system OpenSSL (openssl-sys).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /app/data \
 && chown -R app:app /app
COPY --from=builder /usr/local/bin/retiree-service /usr/local/bin/retiree-service

WORKDIR /app
USER app
VOLUME ["/app/data"]
ENV BIND_ADDR=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///app/data/retiree-service.db \
    RUST_LOG=info
EXPOSE 8080
# No HEALTHCHECK: the slim image has no curl/wget; probe GET /readyz from the
# orchestrator instead.
ENTRYPOINT ["/usr/local/bin/retiree-service"]
CMD ["serve"]
