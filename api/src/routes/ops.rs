//! Liveness, readiness and metrics.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::state::AppState;

/// Health answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    #[schema(example = "ok")]
    pub status: String,
    /// `sqlite` or `postgres` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The read replica (`DATABASE_READ_URL`), when one is set: `ok`, `lagging` (beyond
    /// `READ_REPLICA_MAX_LAG_SECONDS`) or `unreachable`; while it is not `ok`, reads go to the primary and `status`
    /// is `degraded` (still 200: the primary serves everything).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "ok")]
    pub replica: Option<String>,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health, example = json!({"status": "ok"}))))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok".into(), database: None, replica: None })
}

/// Readiness: the database answers a query. With a read replica, `replica` tells its state; a replica that lags
/// or does not answer makes the status `degraded` (200: reads go to the primary meanwhile).
#[utoipa::path(tag = "operations", responses(
    (status = 200, body = Health, example = json!({"status": "ok", "database": "postgres", "replica": "ok"})),
    (status = 503, description = "Database unreachable", body = crate::error::Problem, content_type = "application/problem+json")
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    crate::db::run(&state.pool, app::ops::ready).await?;
    let replica = state.replica.as_ref().map(|r| r.state());
    let degraded = replica.is_some_and(|s| s != app::replica::ReplicaState::Ok);
    Ok(web::Json(Health {
        status: if degraded { "degraded" } else { "ok" }.into(),
        database: Some(state.config.database_url.backend().into()),
        replica: replica.map(|s| s.as_str().to_owned()),
    }))
}

/// Prometheus text exposition.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(metrics: web::Data<Metrics>) -> Result<HttpResponse, ApiError> {
    let text = metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type(prometheus::TEXT_FORMAT).body(text))
}
