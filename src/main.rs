//! The `lineage` command: parses flags, calls the library, prints, and exits 0 (allowed), 1 (denied)
//! or 2 (could not run).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;

use std::process::ExitCode;

/// mimalloc rather than the system allocator: an audit of a whole-Hub cache makes tens of millions
/// of small allocations (cards, ids, messages) on several threads, and spends a third of its time in
/// glibc's malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`lineage graph x | head`) is not an error worth a message.
            if err
                .chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("{}", cli::render::error(&err));
            ExitCode::from(2)
        }
    }
}
