//! The partition console: `core::fmt::Write` over the ConsoleWrite
//! hypercall, and the `print!`/`println!` macros.
//!
//! The kernel keeps a line buffer per thread and prints each line as one
//! console line prefixed `[partition:thread@core]`, so another thread's or
//! partition's output never breaks into it. [`Console`] batches the
//! fragments `core::fmt` produces into one hypercall per
//! [`CONSOLE_LINE`](bulkhead_abi::CONSOLE_LINE) bytes rather than one per
//! fragment: fewer exits to EL2 in the partition's window.

use core::fmt;

use bulkhead_abi::CONSOLE_LINE;

use crate::call::console_write;

/// A console writer. Text is buffered and written when the buffer fills,
/// on [`Console::flush`], and when the writer is dropped.
///
/// ```no_run
/// use core::fmt::Write;
/// let mut out = bulkhead_sdk::Console::new();
/// let _ = writeln!(out, "sensor {}: {} mV", 3, 1204);
/// // dropped here: the line is written
/// ```
pub struct Console {
    buf: [u8; CONSOLE_LINE],
    len: usize,
    /// The first error ConsoleWrite returned, if any.
    error: Option<bulkhead_abi::Status>,
}

impl Console {
    /// An empty writer (it lives on the stack: `CONSOLE_LINE` bytes).
    pub const fn new() -> Self {
        Console { buf: [0; CONSOLE_LINE], len: 0, error: None }
    }

    /// Writes what is buffered. Returns the first error any write of this
    /// writer met (the kernel refuses nothing a well-formed writer sends, so
    /// an error means the console is not available).
    pub fn flush(&mut self) -> Result<(), bulkhead_abi::Status> {
        if self.len > 0 {
            if let Err(e) = console_write(&self.buf[..self.len]) {
                self.error.get_or_insert(e);
            }
            self.len = 0;
        }
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Buffers `bytes`, writing whenever the buffer fills.
    pub fn write_bytes(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = bytes.len().min(CONSOLE_LINE - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
            if self.len == CONSOLE_LINE {
                let _ = self.flush();
            }
        }
    }
}

impl Default for Console {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes());
        // An unavailable console is not worth failing the formatting for:
        // the caller can still ask `flush` for the error.
        Ok(())
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments<'_>) {
    let mut out = Console::new();
    let _ = fmt::Write::write_fmt(&mut out, args);
}

/// Prints to the partition console (ConsoleWrite), like `std::print!`.
/// Errors are ignored: there is nowhere to report them.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::__print(::core::format_args!($($arg)*))
    };
}

/// Prints a line to the partition console (ConsoleWrite), like
/// `std::println!`. The kernel prints it as one console line, prefixed
/// `[partition:thread@core]`.
#[macro_export]
macro_rules! println {
    () => {
        $crate::print!("\n")
    };
    ($($arg:tt)*) => {
        $crate::__print(::core::format_args!("{}\n", ::core::format_args!($($arg)*)))
    };
}
