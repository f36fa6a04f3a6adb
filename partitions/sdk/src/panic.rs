//! The partition panic handler (bare-metal builds only): a Rust panic in a
//! partition thread becomes an ARINC 653 application error
//! (RAISE_APPLICATION_ERROR), and the health monitor's configured
//! `application_error` action decides what happens to the partition.
//!
//! 1. `panicked at FILE:LINE:COL:` and, on the next line, the message go to
//!    the console, as std prints them.
//! 2. `panicked at FILE:LINE:COL: MESSAGE` on one line, cut to `MAX_ERROR_MESSAGE` bytes on a character
//!    boundary and ending ` [truncated]` if it was cut, is raised with code
//!    [`error_code::PANIC`](crate::error_code::PANIC).
//! 3. If the action lets the partition go on (`log`), the thread parks:
//!    PeriodicWait forever. Its state after a panic is not to be trusted.
//!
//! A panic while panicking (a `Display` impl that panics inside the
//! message) skips the formatting and raises a fixed message, so the handler
//! cannot recurse.

use core::fmt::Write;
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, Ordering};

use bulkhead_abi::MAX_ERROR_MESSAGE;

use crate::{MessageBuf, error_code, my_ids, park, raise_application_error};

/// One flag per thread index ("this thread is panicking"); a partition has
/// at most one thread per core, the spare slots cover future boards. Threads
/// with a larger index share the last slot.
static PANICKING: [AtomicBool; 16] = [const { AtomicBool::new(false) }; 16];

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    let thread = my_ids().map(|ids| ids.thread as usize).unwrap_or(0);
    let flag = &PANICKING[thread.min(PANICKING.len() - 1)];
    if flag.swap(true, Ordering::Relaxed) {
        let _ = raise_application_error(error_code::PANIC, b"panicked while panicking");
        park();
    }
    let location = info.location();
    let (file, line, column) = location.map_or(("<unknown>", 0, 0), |l| (l.file(), l.line(), l.column()));
    // Two console lines, as std prints a panic: the location alone keeps the
    // first within a console line (the kernel splits longer ones).
    crate::println!("panicked at {file}:{line}:{column}:\n{}", info.message());
    let mut message = MessageBuf::<MAX_ERROR_MESSAGE>::new();
    let _ = write!(message, "panicked at {file}:{line}:{column}: {}", info.message());
    let _ = raise_application_error(error_code::PANIC, message.as_bytes());
    park()
}
