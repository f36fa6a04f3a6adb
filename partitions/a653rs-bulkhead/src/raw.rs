//! The four port calls by handle. The SDK's port types are made from a
//! port's name (`SamplingSource::new`, ...) and keep their handle to
//! themselves; a653rs hands the backend an id, the handle plus one, so it
//! makes the calls itself, exactly as the SDK's wrappers do
//! (`partitions/sdk/src/port.rs`; the ABI in `partitions/sdk/README.md`,
//! "Ports").

use bulkhead_sdk::{Call, Sample, Status, hvc};

/// `x0` as a result: 0 is success, anything else its status
/// (`NotSupported` for a value the ABI does not define).
fn check(x0: u64) -> Result<(), Status> {
    match Status::from_raw(x0 as i64) {
        Some(Status::Success) => Ok(()),
        Some(status) => Err(status),
        None => Err(Status::NotSupported),
    }
}

/// `WriteSamplingMessage` (`0xC600_0021`) on port `handle`.
pub fn write_sampling(handle: u64, message: &[u8]) -> Result<(), Status> {
    // SAFETY: the call only reads `[ptr, ptr + len)`, the live `message`.
    let [x0, ..] = unsafe {
        hvc(Call::WriteSamplingMessage.id(), [handle, message.as_ptr() as u64, message.len() as u64, 0, 0, 0])
    };
    check(x0)
}

/// `ReadSamplingMessage` (`0xC600_0022`) on port `handle` into `buf`.
pub fn read_sampling(handle: u64, buf: &mut [u8]) -> Result<Sample, Status> {
    // SAFETY: the call writes at most `buf.len()` bytes at `buf`, our own
    // live, exclusively borrowed slice.
    let [x0, x1, x2, x3] =
        unsafe { hvc(Call::ReadSamplingMessage.id(), [handle, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0]) };
    check(x0)?;
    Ok(Sample { len: x1 as usize, age_ns: x2, valid: x3 == 1 })
}

/// `SendQueuingMessage` (`0xC600_0023`) on port `handle`.
pub fn send_queuing(handle: u64, message: &[u8], timeout_ns: u64) -> Result<(), Status> {
    // SAFETY: the call only reads the live `message`; if it waits, it
    // returns only when done, with `message` still borrowed.
    let [x0, ..] = unsafe {
        hvc(Call::SendQueuingMessage.id(), [handle, message.as_ptr() as u64, message.len() as u64, timeout_ns, 0, 0])
    };
    check(x0)
}

/// `ReceiveQueuingMessage` (`0xC600_0024`) on port `handle` into `buf`:
/// the message's length.
pub fn receive_queuing(handle: u64, buf: &mut [u8], timeout_ns: u64) -> Result<usize, Status> {
    // SAFETY: the call writes at most `buf.len()` bytes at `buf`, our own
    // live, exclusively borrowed slice, and returns only when done.
    let [x0, x1, ..] = unsafe {
        hvc(Call::ReceiveQueuingMessage.id(), [handle, buf.as_mut_ptr() as u64, buf.len() as u64, timeout_ns, 0, 0])
    };
    check(x0)?;
    Ok(x1 as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_build_has_no_ports() {
        assert_eq!(write_sampling(0, b"x"), Err(Status::NotSupported));
        assert_eq!(read_sampling(0, &mut [0; 4]), Err(Status::NotSupported));
        assert_eq!(send_queuing(0, b"x", 0), Err(Status::NotSupported));
        assert_eq!(receive_queuing(0, &mut [0; 4], 0), Err(Status::NotSupported));
        assert_eq!(check(0), Ok(()));
        assert_eq!(check(-6i64 as u64), Err(Status::Full));
        assert_eq!(check(12), Err(Status::NotSupported));
    }
}
