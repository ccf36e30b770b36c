//! The `vigil` binary.

fn main() -> std::process::ExitCode {
    server::cli::run()
}
