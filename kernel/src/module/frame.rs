//! ConsoleFrame: a partition's binary log frame (a defmt frame, built by the
//! SDK's `defmt` logger) printed as one console line
//! `@<partition id>.<thread>.<core> <base64>`, the wire format of
//! `bulkhead_abi::frame_line`. The host tool (`bulkhead log`) decodes it
//! with the partition's ELF.
//!
//! Sits beside `hypercall.rs`, which only dispatches here. The kernel adds
//! the time stamp, so a partition cannot forge one, and the ids come from
//! the kernel's own view of the caller, never from the frame.
use super::hypercall::UserBytes;
use super::text::Line;
use bulkhead_abi::frame_line::{self, MARKER, MAX_BASE64};
use bulkhead_abi::{MAX_CONSOLE_FRAME, Status};
use core::fmt::Write;

/// Who made the call, and when (ns since the module epoch).
pub struct Caller {
    pub partition: usize,
    /// Module-wide thread index (the trace records' `tid`).
    pub tid: usize,
    pub core: usize,
    pub now_ns: u64,
}

/// `@`, three decimal ids (a `u16` each, at most 5 digits; a core has 1),
/// two dots and a space, then the base64.
const LINE_CAPACITY: usize = 1 + 3 * 5 + 3 + MAX_BASE64;

/// Handles ConsoleFrame `(x1 = ptr, x2 = len)`: checks the length, reads
/// the frame through `user_bytes` (the caller's memory only, range checked
/// before a byte is read), puts its line into the partition's console
/// buffer. Returns the length taken.
pub fn console_frame(
    caller: &Caller,
    ptr: u64,
    len: u64,
    user_bytes: impl FnOnce(u64, u64) -> Result<UserBytes, Status>,
) -> Result<u64, Status> {
    if len == 0 || len > MAX_CONSOLE_FRAME as u64 {
        return Err(Status::InvalidParameter);
    }
    // Copied first: the partition may change its memory from another core
    // while we encode, and the line must be what one snapshot says.
    let mut frame = [0u8; MAX_CONSOLE_FRAME];
    let n = user_bytes(ptr, len)?.copy_into(&mut frame);
    let (payload, used) = frame_line::payload(caller.now_ns, &frame[..n]).ok_or(Status::InvalidParameter)?;
    let mut text = [0u8; MAX_BASE64];
    let chars = frame_line::write_base64(&payload[..used], &mut text).ok_or(Status::InvalidParameter)?;
    let mut line = Line::<LINE_CAPACITY>::new();
    let _ = write!(line, "{MARKER}{}.{}.{} ", caller.partition, caller.tid, caller.core);
    // Base64 is ASCII by construction.
    let _ = line.write_str(core::str::from_utf8(&text[..chars]).unwrap_or(""));
    // Into the partition's console buffer, as its own lines go (no
    // prefix: the line names its source), then fed in the caller's time.
    if let Some(ring) = crate::console::partition_ring(caller.partition).as_mut() {
        crate::console::push_raw_line(ring, caller.tid, caller.core, line.as_str().as_bytes());
    }
    crate::console::pump();
    Ok(len)
}
