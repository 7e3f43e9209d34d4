//! The `retiree-service` command line: `serve` (default), `migrate`, `create-admin`, `seed-demo`,
//! `import-divisions`, `encrypt-data` and `openapi`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use domain::JurisdictionCode;

use crate::config::Config;
use crate::error::ApiError;

/// Retiree socialized management service (退休人员社会化管理服务信息系统).
#[derive(Parser, Debug)]
#[command(name = "retiree-service", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Migrate the database and serve HTTP on BIND_ADDR.
    Serve {
        /// Load the demo data first (Xiamen tree, demo accounts, synthetic retirees) if the database has none.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Create an admin user bound to a jurisdiction; on an empty tree the node is created as the root.
    CreateAdmin {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Password (10-128 characters).
        #[arg(long)]
        password: String,
        /// Jurisdiction code (e.g. 3502).
        #[arg(long)]
        jurisdiction: String,
        /// Name of the root node when the tree is empty (default: from the bundled division files).
        #[arg(long)]
        jurisdiction_name: Option<String>,
    },
    /// Load the demo data (idempotent) and print how to log in.
    SeedDemo,
    /// Import a division CSV (code,name,level,parent_code; .csv or .csv.gz) with no scope limit.
    ImportDivisions {
        /// The file.
        file: PathBuf,
        /// Keep good rows when some are bad.
        #[arg(long)]
        partial: bool,
    },
    /// Print the OpenAPI document as YAML.
    Openapi,
    /// GET /readyz of the service on BIND_ADDR (0.0.0.0 probes 127.0.0.1); exit 0 when it answers 200, else 1.
    /// For the container's healthcheck: the image has no curl.
    Healthcheck {
        /// Probe this address instead of BIND_ADDR.
        #[arg(long)]
        addr: Option<String>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3)]
        timeout_seconds: u64,
    },
    /// Seal the resident ID numbers and phones still in clear and re-seal those under another key than
    /// DATA_KEY_ID, in batches (restartable; safe while the service serves) (issue 21.10).
    #[command(alias = "rotate-data-keys")]
    EncryptData {
        /// Only count the rows not yet under the active key; change nothing.
        #[arg(long)]
        check: bool,
    },
    /// For scripts/bench only: serve an empty actix-web JSON handler on BIND_ADDR with the service's worker
    /// count, the rate HTTP itself allows on this machine (issue 20). No database, no routes of the service.
    #[command(hide = true)]
    HttpBaseline,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    crate::context::init_logging();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("retiree-service: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let command = cli.command.unwrap_or(Command::Serve { demo: false });
    if let Command::HttpBaseline = command {
        return http_baseline();
    }
    if let Command::Healthcheck { addr, timeout_seconds } = &command {
        let bind = addr
            .clone()
            .or_else(|| std::env::var("BIND_ADDR").ok())
            .unwrap_or_else(|| crate::config::DEFAULT_BIND_ADDR.into());
        let target = crate::healthcheck::target(bind.trim())?;
        let status = crate::healthcheck::probe(target, std::time::Duration::from_secs((*timeout_seconds).max(1)))?;
        println!("{target}: {status}");
        return Ok(());
    }
    if let Command::Openapi = command {
        let yaml = crate::openapi::to_yaml(&crate::service::openapi())?;
        print!("{yaml}");
        return Ok(());
    }
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let pool = crate::server::prepare(&config)?;
    let conn = || pool.get().map_err(|e| format!("database: {e}"));
    match command {
        Command::Migrate => {
            println!("database is up to date ({})", config.database_url.backend());
            Ok(())
        }
        Command::CreateAdmin { username, password, jurisdiction, jurisdiction_name } => {
            let mut conn = conn()?;
            let code = check_admin(&username, &password, &jurisdiction)?;
            app::accounts::admin::create_admin(&mut conn, &username, &password, &code, jurisdiction_name).map_err(
                |e| {
                    let e = ApiError::from(e);
                    serde_json::to_string(&e.problem()).unwrap_or_else(|_| e.to_string())
                },
            )?;
            println!("admin {username} created for jurisdiction {code}");
            Ok(())
        }
        Command::SeedDemo => {
            let info = crate::seed::seed_demo(&mut *conn()?, config.clock.today()).map_err(|e| e.to_string())?;
            println!("{}", info.how_to_log_in(&config.bind_addr));
            Ok(())
        }
        Command::ImportDivisions { file, partial } => {
            let mode = if partial { app::imports::Mode::Partial } else { app::imports::Mode::Atomic };
            let started = std::time::Instant::now();
            let report = app::imports::divisions::import_file(&mut *conn()?, &file, mode, "cli").map_err(|e| {
                let e = crate::error::ApiError::from(e);
                format!("{e}: {}", serde_json::to_string(&e.problem()).unwrap_or_default())
            })?;
            println!(
                "rows {} created {} updated {} unchanged {} rejected {} in {:.1} s",
                report.rows,
                report.created,
                report.updated,
                report.unchanged,
                report.rejected,
                started.elapsed().as_secs_f64()
            );
            for e in report.errors.iter().take(20) {
                println!("  line {} {}: {} ({})", e.line, e.field, e.message, e.code);
            }
            Ok(())
        }
        Command::Serve { demo } => {
            if demo {
                let info = crate::seed::seed_demo(&mut *conn()?, config.clock.today()).map_err(|e| e.to_string())?;
                println!("{}", info.how_to_log_in(&config.bind_addr));
            }
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let backend = config.database_url.backend();
                let started = crate::server::start(config, pool, None)?;
                log::info!(
                    "listening on http://{} ({backend}); API docs at http://{}/docs/",
                    started.addr,
                    started.addr
                );
                started.server.await.map_err(|e| e.to_string())
            })
        }
        Command::EncryptData { check } => {
            let mut conn = conn()?;
            let keys = config.data_keys.clone();
            let problem = |e: app::AppError| {
                let e = ApiError::from(e);
                format!("{e}: {}", serde_json::to_string(&e.problem()).unwrap_or_default())
            };
            if !check {
                let started = std::time::Instant::now();
                let report = app::data_keys::encrypt_data(&mut conn, &keys).map_err(problem)?;
                for (table, examined, rewritten, raced) in &report.tables {
                    println!("{table}: {examined} rows examined, {rewritten} rewritten, {raced} changed meanwhile");
                }
                println!("sealed under key {} in {:.1} s", keys.active_id(), started.elapsed().as_secs_f64());
            }
            let pending = app::data_keys::pending(&mut conn, &keys).map_err(problem)?;
            let left: i64 = pending.iter().map(|(_, n)| n).sum();
            for (table, n) in &pending {
                println!("{table}: {n} rows not under key {}", keys.active_id());
            }
            if check && left > 0 { Err(format!("{left} rows are not under key {}", keys.active_id())) } else { Ok(()) }
        }
        Command::Openapi | Command::HttpBaseline | Command::Healthcheck { .. } => Ok(()),
    }
}

/// The empty JSON handler of `http-baseline`: every GET answers `{"id":1}` with the same server settings (workers
/// from `HTTP_WORKERS`, 0 = one per core) as `serve`.
fn http_baseline() -> Result<(), String> {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let bind = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let workers: usize = std::env::var("HTTP_WORKERS").ok().and_then(|w| w.parse().ok()).unwrap_or(0);
    actix_web::rt::System::new().block_on(async move {
        let mut server = HttpServer::new(|| {
            App::new().default_service(web::to(|| async { HttpResponse::Ok().json(serde_json::json!({"id": 1})) }))
        });
        if workers > 0 {
            server = server.workers(workers);
        }
        server.bind(&bind).map_err(|e| format!("cannot listen on {bind}: {e}"))?.run().await.map_err(|e| e.to_string())
    })
}

pub use app::seed::bundled_name;

/// The arguments of `create-admin`, checked: the node's code, the password's and username's form.
fn check_admin(username: &str, password: &str, jurisdiction: &str) -> Result<JurisdictionCode, String> {
    let code = JurisdictionCode::parse(jurisdiction).map_err(|e| format!("--jurisdiction: {e}"))?;
    if password.chars().count() < 10 {
        return Err("--password: at least 10 characters".into());
    }
    if username.len() < 3 || !username.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
        return Err("--username: 3-50 letters, digits, '.', '_' or '-'".into());
    }
    Ok(code)
}
