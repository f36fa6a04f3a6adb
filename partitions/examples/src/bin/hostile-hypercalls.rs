//! `hostile-hypercalls`: calls the kernel with bad arguments, one case at a
//! time, and prints the status each returns. Every case must come back
//! (none is a fault) with the status the ABI prescribes (`kernel/abi`:
//! unknown IDs are NOT_SUPPORTED as the Arm SMCCC, DEN 0028, requires;
//! pointers are checked against the caller's memory before one byte is
//! read; over-long lengths are refused, not truncated), and the other
//! partition must run on untouched. Run with `application_error = "log"`
//! (partitions/tests/hostile-hypercalls.toml) so the error cases that reach
//! the health monitor come back.
//!
//! Prints, in this order (R: restarts so far; each case line is
//! `hostile-hypercalls: <case>: status <raw x0> (<Status name>)`, the
//! expected status in brackets here):
//!
//! ```text
//! hostile-hypercalls: calling the kernel with bad arguments (restarts R)
//! hostile-hypercalls: unknown function id: status -1 (NotSupported)
//! hostile-hypercalls: console null pointer: status -3 (InvalidAddress)
//! hostile-hypercalls: this line came through an unaligned pointer
//! hostile-hypercalls: console unaligned pointer: status 0 (Success)
//! hostile-hypercalls: console past end of memory: status -3 (InvalidAddress)
//! hostile-hypercalls: console wrapping range: status -3 (InvalidAddress)
//! hostile-hypercalls: console kernel address: status -3 (InvalidAddress)
//! hostile-hypercalls: console across end of memory: status -3 (InvalidAddress)
//! hostile-hypercalls: console across a stack guard page: status -3 (InvalidAddress)
//! hostile-hypercalls: console huge length: status -2 (InvalidParameter)
//! hostile-hypercalls: defmt frame null pointer: status -3 (InvalidAddress)
//! hostile-hypercalls: defmt frame empty: status -2 (InvalidParameter)
//! hostile-hypercalls: defmt frame too long: status -2 (InvalidParameter)
//! hostile-hypercalls: defmt frame across end of memory: status -3 (InvalidAddress)
//! hostile-hypercalls: defmt frame kernel address: status -3 (InvalidAddress)
//! hostile-hypercalls: error message null pointer: status -3 (InvalidAddress)
//! hostile-hypercalls: error message past end of memory: status -3 (InvalidAddress)
//! hostile-hypercalls: error message across end of memory: status -3 (InvalidAddress)
//! hostile-hypercalls: error message kernel address: status -3 (InvalidAddress)
//! hostile-hypercalls: error message too long: status -2 (InvalidParameter)
//! hostile-hypercalls: error message within limits: status 0 (Success)
//! hostile-hypercalls: done
//! ```
//!
//! A buffer that starts inside memory and runs across its end must be
//! refused whole: a kernel that printed the part inside (the top of this
//! thread's stack) or read past the end would put bytes on the console or
//! in the health log that are none of the lines above, which the test
//! (tools/xtask/src/tests.rs) refuses. So must a buffer that runs from the
//! unmapped guard page below this thread's stack into the stack: the
//! kernel reads only what the partition itself could.
//!
//! Then it parks in PeriodicWait. The last case is a valid
//! RaiseApplicationError (code 0x1000, message
//! `hostile-hypercalls: a valid application error`): with the `log` action
//! it returns Success and leaves one entry in the health log.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_board_rpi4::memory::KERNEL_LOAD;
use bulkhead_sdk::abi::{DEFAULT_STACK_SIZE, FUNCTION_BASE};
use bulkhead_sdk::{
    Call, MAX_CONSOLE_FRAME, MAX_CONSOLE_WRITE, MAX_ERROR_MESSAGE, ThreadInfo, hvc, partition_status, println,
    status_name,
};

bulkhead_sdk::partition_main!(main);

/// Text whose second byte starts a console line, so that `bytes + 1` is an
/// odd, unaligned address inside our own memory.
#[repr(C, align(8))]
struct Unaligned([u8; 65]);
static UNALIGNED: Unaligned = Unaligned(*b"#hostile-hypercalls: this line came through an unaligned pointer\n");

/// More than a ConsoleWrite may carry, all printable, so that a kernel that
/// wrongly took it would print dashes rather than garbage.
static TOO_LONG_FOR_CONSOLE: [u8; MAX_CONSOLE_WRITE + 1] = [b'-'; MAX_CONSOLE_WRITE + 1];
/// Likewise for ConsoleFrame (a frame one byte longer than it takes).
static TOO_LONG_FOR_FRAME: [u8; MAX_CONSOLE_FRAME + 1] = [b'-'; MAX_CONSOLE_FRAME + 1];
/// Likewise for RaiseApplicationError.
static TOO_LONG_FOR_ERROR: [u8; MAX_ERROR_MESSAGE + 1] = [b'-'; MAX_ERROR_MESSAGE + 1];
const VALID_ERROR: &[u8] = b"hostile-hypercalls: a valid application error";

/// An application error code outside the SDK's own (bulkhead_sdk::error_code).
const APPLICATION_CODE: u64 = 0x1000;

fn main(thread: ThreadInfo) {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-hypercalls: calling the kernel with bad arguments (restarts {restarts})");
    let console = Call::ConsoleWrite.id();
    let error = Call::RaiseApplicationError.id();
    let frame = Call::ConsoleFrame.id();
    let unaligned = UNALIGNED.0.as_ptr() as u64 + 1;
    let end = thread.memory_end();
    // The bottom of this thread's stack (thread 0's is the highest).
    let stack_bottom = end - DEFAULT_STACK_SIZE;
    let cases: [(&str, u32, [u64; 3]); 20] = [
        // Within the vendor hypervisor range but never assigned.
        ("unknown function id", FUNCTION_BASE | 0xffff, [0; 3]),
        ("console null pointer", console, [0, 16, 0]),
        ("console unaligned pointer", console, [unaligned, UNALIGNED.0.len() as u64 - 1, 0]),
        // The first byte past partition memory; 16 bytes from there.
        ("console past end of memory", console, [end, 16, 0]),
        // 32 bytes starting 16 below 2^64: the end wraps to 16.
        ("console wrapping range", console, [u64::MAX - 15, 32, 0]),
        ("console kernel address", console, [KERNEL_LOAD as u64, 16, 0]),
        // 8 bytes inside (the top of this thread's stack), 8 outside.
        ("console across end of memory", console, [end - 8, 16, 0]),
        // 8 bytes in the guard page below the stack, 8 in the stack.
        ("console across a stack guard page", console, [stack_bottom - 8, 16, 0]),
        ("console huge length", console, [TOO_LONG_FOR_CONSOLE.as_ptr() as u64, TOO_LONG_FOR_CONSOLE.len() as u64, 0]),
        ("defmt frame null pointer", frame, [0, 8, 0]),
        ("defmt frame empty", frame, [TOO_LONG_FOR_FRAME.as_ptr() as u64, 0, 0]),
        ("defmt frame too long", frame, [TOO_LONG_FOR_FRAME.as_ptr() as u64, TOO_LONG_FOR_FRAME.len() as u64, 0]),
        ("defmt frame across end of memory", frame, [end - 8, 16, 0]),
        ("defmt frame kernel address", frame, [KERNEL_LOAD as u64, 16, 0]),
        ("error message null pointer", error, [APPLICATION_CODE, 0, 16]),
        ("error message past end of memory", error, [APPLICATION_CODE, end, 16]),
        ("error message across end of memory", error, [APPLICATION_CODE, end - 8, 16]),
        ("error message kernel address", error, [APPLICATION_CODE, KERNEL_LOAD as u64, 16]),
        (
            "error message too long",
            error,
            [APPLICATION_CODE, TOO_LONG_FOR_ERROR.as_ptr() as u64, TOO_LONG_FOR_ERROR.len() as u64],
        ),
        (
            "error message within limits",
            error,
            [APPLICATION_CODE, VALID_ERROR.as_ptr() as u64, VALID_ERROR.len() as u64],
        ),
    ];
    for (case, id, [a1, a2, a3]) in cases {
        // SAFETY: every call here only reads through its pointer argument
        // (ConsoleWrite, ConsoleFrame, RaiseApplicationError) or takes none; the bad
        // pointers are the test, and the kernel must refuse them before it
        // reads a byte. With the `log` action RaiseApplicationError returns.
        let [x0, ..] = unsafe { hvc(id, [a1, a2, a3, 0, 0, 0]) };
        let raw = x0 as i64;
        println!("hostile-hypercalls: {case}: status {raw} ({})", status_name(raw));
    }
    println!("hostile-hypercalls: done");
}
