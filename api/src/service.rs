//! Builds the actix application: routes, shared state, extractor error handlers, middleware, docs.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, middleware, web};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, UtoipaApp, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::context;
use crate::error;
use crate::extract::BodyLimits;
use crate::metrics::Metrics;
use crate::openapi::ApiDoc;
use crate::routes;
use crate::state::AppState;

fn with_routes<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.openapi(ApiDoc::openapi())
        .service(scope::scope("/api/v1").configure(routes::configure))
        .service(routes::ops::healthz)
        .service(routes::ops::readyz)
        .service(routes::ops::metrics)
}

/// The OpenAPI document of the real route tree.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut spec = with_routes(App::new().into_utoipa_app()).split_for_parts().1;
    crate::contract::finish(&mut spec);
    spec
}

/// The application for one worker.
pub fn build(
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
    limits: BodyLimits,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, mut api) = with_routes(App::new().into_utoipa_app()).split_for_parts();
    crate::contract::finish(&mut api);
    app.app_data(state)
        .app_data(metrics)
        .app_data(web::Data::new(limits))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::JsonConfig::default().limit(limits.json).error_handler(error::json_error))
        .app_data(web::PayloadConfig::default().limit(limits.import))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .default_service(web::to(error::not_found_handler))
        .wrap(middleware::from_fn(context::observe))
}
