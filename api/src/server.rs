//! Starting the HTTP server: pool, migrations, keys, workers.

use std::net::TcpListener;

use actix_web::{HttpServer, web};
use app::db::{Pool, PoolOptions};

use crate::auth::TokenKeys;
use crate::config::Config;
use crate::extract::BodyLimits;
use crate::metrics::Metrics;
use crate::state::AppState;

/// Opens the pool and brings the schema up to date (under an advisory lock on PostgreSQL).
pub fn prepare(config: &Config) -> Result<Pool, String> {
    // The keys that seal ID numbers and phones, for every connection of this process (issue 21.10).
    app::data_keys::install(config.data_keys.clone());
    let (pool, applied) = app::db::open(
        &config.database_url,
        &PoolOptions { max_size: config.pool_size, connection_timeout: config.pool_timeout },
    )?;
    for m in applied {
        log::info!("applied migration {m}");
    }
    let mut conn = pool.get().map_err(|e| format!("database: cannot connect: {e}"))?;
    // An empty working-day calendar gets the bundled holiday arrangements (idempotent: only when empty).
    let seeded = app::calendar::seed_bundled(&mut conn).map_err(|e| format!("calendar: {e}"))?;
    if seeded > 0 {
        log::info!("loaded {seeded} calendar days from the bundled holiday arrangements");
    }
    Ok(pool)
}

/// A started server and its address.
pub struct Started {
    /// The server future; await it (or spawn it) to serve.
    pub server: actix_web::dev::Server,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    /// The webhook dispatcher of this replica (`WEBHOOK_DISPATCH`); dropping it stops delivery.
    pub dispatcher: Option<crate::webhook_dispatch::Dispatcher>,
    /// The retention sweep of this replica (issue 21.12); dropping it stops it.
    pub retention: Option<app::periodic::Periodic>,
    /// The partition job of this replica on PostgreSQL (issue 28); dropping it stops it.
    pub partitions: Option<app::periodic::Periodic>,
}

/// Starts serving on `listener` (or `config.bind_addr` when `None`).
pub fn start(config: Config, pool: Pool, listener: Option<TcpListener>) -> Result<Started, String> {
    let tokens = TokenKeys::new(&config.jwt_keys).map_err(|e| format!("JWT keys: {e}"))?;
    let limits = BodyLimits {
        json: config.json_body_limit,
        import: config.import_body_limit,
        unpacked: config.import_unpacked_limit,
        timeout: config.client_timeout,
        min_rate: config.body_min_rate,
    };
    let client_timeout = config.client_timeout;
    let workers = config.workers;
    let bind = config.bind_addr.clone();
    // SQLite has one writer: imports take turns; PostgreSQL runs two at once per replica.
    let slots = if config.database_url.backend() == "sqlite" { 1 } else { 2 };
    let imports = std::sync::Arc::new(app::imports::roster::Registry::new(slots));
    if let Ok(mut conn) = pool.get() {
        match app::imports::roster::reap(&mut conn, &imports, None) {
            Ok(0) => {}
            Ok(n) => log::warn!("{n} interrupted import job(s) marked failed"),
            Err(e) => log::error!("cannot check for interrupted imports: {e}"),
        }
    }
    app::db::set_sqlite_bulk_cache_mib(config.sqlite_bulk_cache_mib);
    let audit = app::audit_writer::AuditWriter::spawn(pool.clone(), config.audit_writer)?;
    let replica = match &config.read_database_url {
        Some(url) => {
            let options = PoolOptions { max_size: config.pool_size, connection_timeout: config.pool_timeout };
            let replica = app::replica::Replica::open(url, &options, config.replica);
            app::replica::spawn_monitor(&replica)?;
            log::info!("reads of lists, reports, exports and the feed go to the read replica ({:?})", replica.state());
            Some(replica)
        }
        None => None,
    };
    let metrics = std::sync::Arc::new(Metrics::new(crate::metrics::Sources {
        pool: pool.clone(),
        audit: audit.clone(),
        imports: imports.clone(),
        replica: replica.clone(),
    })?);
    let dispatcher = if config.webhooks.dispatch {
        crate::webhook_dispatch::spawn(
            pool.clone(),
            config.webhooks.clone(),
            config.webhook_ca_bundle.as_deref(),
            metrics.clone(),
        )
    } else {
        None
    };
    let retention = app::retention::spawn(pool.clone(), config.retention);
    let partitions = app::partitions::spawn(pool.clone(), config.partitioning.clone(), config.clock);
    let cache = std::sync::Arc::new(app::hot_cache::HotCache::default());
    let state = web::Data::new(AppState {
        clock: config.clock,
        pool,
        config,
        tokens,
        imports,
        audit,
        cache,
        replica,
        metrics: metrics.clone(),
    });
    let metrics = web::Data::from(metrics);
    // A request head must arrive within the client timeout (a slow client is answered 408 and cut off); the
    // bodies' pace is checked by the extractors (`extract::next_chunk`).
    let mut server = HttpServer::new(move || crate::service::build(state.clone(), metrics.clone(), limits))
        .client_request_timeout(client_timeout)
        .client_disconnect_timeout(std::time::Duration::from_secs(1));
    if workers > 0 {
        server = server.workers(workers);
    }
    let server = match listener {
        Some(l) => server.listen(l),
        None => server.bind(&bind),
    }
    .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = server.addrs().first().copied().ok_or("no listening address")?;
    Ok(Started { server: server.run(), addr, dispatcher, retention, partitions })
}
