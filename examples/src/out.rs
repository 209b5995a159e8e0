//! Standard output as command-line tools use it: a reader that stops early
//! (`muhtar list | head -2`) closes the pipe, and the program then ends quietly with
//! status 0 instead of panicking in `println!`.

use std::io::{ErrorKind, Write};

/// Writes `args` (and a newline with `newline`) to standard output.
pub fn write(args: std::fmt::Arguments<'_>, newline: bool) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| {
        if newline {
            out.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = written {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

/// An I/O error of a writer on standard output as the command's error: a closed pipe
/// ends the program quietly with status 0.
pub fn io_error(e: std::io::Error) -> String {
    if e.kind() == ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    e.to_string()
}
