# syntax=docker/dockerfile:1

# ---- build ----------------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /src

# 1. Dependency layer: manifests + stub sources, so that editing the real code
#    does not rebuild the crates.io dependencies.
COPY Cargo.toml Cargo.lock ./
COPY domain/Cargo.toml domain/
COPY persistence/Cargo.toml persistence/build.rs persistence/
COPY app/Cargo.toml app/
COPY api/Cargo.toml api/build.rs api/
RUN mkdir -p domain/src persistence/src app/src api/src src \
 && touch domain/src/lib.rs persistence/src/lib.rs app/src/lib.rs api/src/lib.rs \
 && echo 'fn main() {}' > src/main.rs \
 && cargo build --release --locked --bin retiree-service

# 2. Real sources. docs/ is needed by include_str! in domain, resources/ (the
#    bundled division files) by the demo seed, migrations/ by embed_migrations!
#    in persistence. Touch the sources so cargo rebuilds the
#    workspace crates even if their mtimes predate the stub build.
COPY docs docs
COPY resources resources
# The commit for retiree_service_build_info on /metrics (there is no .git in the build context):
# docker compose build --build-arg GIT_COMMIT=$(git rev-parse --short=12 HEAD), or GIT_COMMIT in .env.
ARG GIT_COMMIT=unknown
ENV GIT_COMMIT=${GIT_COMMIT}
COPY domain domain
COPY persistence persistence
COPY app app
COPY api api
COPY src src
RUN find domain persistence app api src -name '*.rs' -exec touch {} + \
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
# The bundled division trees, for the first run:
#   docker compose run --rm app import-divisions resources/divisions/xiamen-3502.csv
COPY --chown=app:app resources /app/resources

WORKDIR /app
USER app
VOLUME ["/app/data"]
ENV BIND_ADDR=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///app/data/retiree-service.db \
    RUST_LOG=info
EXPOSE 8080
# The slim image has no curl: the binary GETs its own /readyz (BIND_ADDR; 0.0.0.0 probes 127.0.0.1).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/retiree-service", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/retiree-service"]
CMD ["serve"]
