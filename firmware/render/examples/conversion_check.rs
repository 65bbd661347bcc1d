//! Checks the slide's page conversion on the target it runs on: scripts/cross-test runs it
//! under qemu-aarch64 for the NEON path (`bitig_render::rgb888_to_xrgb8888`).

fn main() -> std::process::ExitCode {
    match bitig_render::check_rgb888_to_xrgb8888() {
        Ok(n) => {
            println!("conversion_check: {n} pixels as expected");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("conversion_check: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
