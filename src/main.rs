//! The `retiree-service` binary; see `retiree-service --help`.

fn main() -> std::process::ExitCode {
    api::cli::main()
}
