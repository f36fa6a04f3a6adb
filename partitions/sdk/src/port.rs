//! Interpartition ports (ARINC 653 Part 1 sampling and queuing ports): the
//! ends of the `[[channel]]`s of the system description that the caller's
//! `[[partition.port]]`s name.
//!
//! Look a port up by its name once ([`SamplingSource::new`] and its
//! siblings check that the port is of that kind and direction), then use
//! it: the handle is a plain number, `Copy`, valid for the module's life.
//!
//! ```ignore
//! let status = SamplingSource::new("status")?;
//! status.write(b"ok")?;
//! let commands = QueuingDestination::new("commands")?;
//! let mut buf = [0u8; 64]; // at least the port's message_size
//! let len = commands.receive(&mut buf, INFINITE)?; // waits for a message
//! ```
use crate::call::{check, hvc};
use bulkhead_abi::{Call, PORT_STATUS_SIZE, PortStatus, Status};

pub use bulkhead_abi::INFINITE;

/// What [`port_by_name`] tells of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortInfo {
    /// The handle every other port call takes.
    pub handle: u64,
    /// Queuing (else sampling).
    pub queuing: bool,
    /// Destination (else source).
    pub destination: bool,
    /// The channel's message size, bytes.
    pub message_size: usize,
}

/// `PortByName` (`0xC600_0020`): the caller's port named `name` in the
/// system description (ARINC 653 GET_SAMPLING_PORT_ID /
/// GET_QUEUING_PORT_ID). `InvalidParameter` if it has none of that name.
pub fn port_by_name(name: &str) -> Result<PortInfo, Status> {
    // SAFETY: PortByName only reads `[ptr, ptr + len)`, the live `name`.
    let [x0, x1, x2, x3] = unsafe { hvc(Call::PortByName.id(), [name.as_ptr() as u64, name.len() as u64, 0, 0, 0, 0]) };
    check(x0)?;
    Ok(PortInfo { handle: x1, queuing: x2 & 1 != 0, destination: (x2 >> 8) & 1 != 0, message_size: x3 as usize })
}

/// `PortStatus` (`0xC600_0025`): the port's status (ARINC 653
/// GET_SAMPLING_PORT_STATUS / GET_QUEUING_PORT_STATUS).
pub fn port_status(handle: u64) -> Result<PortStatus, Status> {
    let mut bytes = [0u8; PORT_STATUS_SIZE];
    // SAFETY: PortStatus writes exactly `PORT_STATUS_SIZE` bytes at `ptr`,
    // our own live, exclusively borrowed array.
    let [x0, ..] =
        unsafe { hvc(Call::PortStatus.id(), [handle, bytes.as_mut_ptr() as u64, PORT_STATUS_SIZE as u64, 0, 0, 0]) };
    check(x0)?;
    Ok(PortStatus::from_bytes(&bytes))
}

/// A port of the given kind and direction, or `InvalidMode` if the
/// caller's port of that name is another.
fn lookup(name: &str, queuing: bool, destination: bool) -> Result<PortInfo, Status> {
    let info = port_by_name(name)?;
    if info.queuing != queuing || info.destination != destination {
        return Err(Status::InvalidMode);
    }
    Ok(info)
}

/// What a sampling read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Bytes of the message, at the start of the buffer.
    pub len: usize,
    /// How long ago it was written, ns.
    pub age_ns: u64,
    /// Whether that is within the channel's refresh period (ARINC 653
    /// VALIDITY).
    pub valid: bool,
}

macro_rules! port_type {
    ($(#[$doc:meta])* $name:ident, queuing: $q:expr, destination: $d:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name {
            info: PortInfo,
        }

        impl $name {
            /// The caller's port `name`; `InvalidParameter` if it has none
            /// of that name, `InvalidMode` if that port is of another kind
            /// or direction.
            pub fn new(name: &str) -> Result<Self, Status> {
                lookup(name, $q, $d).map(|info| Self { info })
            }

            /// Handle, kind, direction and message size.
            pub fn info(&self) -> PortInfo {
                self.info
            }

            /// The channel's message size, bytes.
            pub fn message_size(&self) -> usize {
                self.info.message_size
            }

            /// The port's status ([`port_status`]).
            pub fn status(&self) -> Result<PortStatus, Status> {
                port_status(self.info.handle)
            }
        }
    };
}

port_type!(
    /// A sampling source port: [`SamplingSource::write`].
    SamplingSource, queuing: false, destination: false
);
port_type!(
    /// A sampling destination port: [`SamplingDestination::read`].
    SamplingDestination, queuing: false, destination: true
);
port_type!(
    /// A queuing source port: [`QueuingSource::send`].
    QueuingSource, queuing: true, destination: false
);
port_type!(
    /// A queuing destination port: [`QueuingDestination::receive`].
    QueuingDestination, queuing: true, destination: true
);

impl SamplingSource {
    /// `WriteSamplingMessage` (`0xC600_0021`): replace the channel's
    /// message (ARINC 653 WRITE_SAMPLING_MESSAGE). Longer than the
    /// message size: `InvalidParameter`, nothing written.
    pub fn write(&self, message: &[u8]) -> Result<(), Status> {
        write_sampling(self.info.handle, message)
    }
}

impl SamplingDestination {
    /// `ReadSamplingMessage` (`0xC600_0022`): copy the channel's latest
    /// message into `buf` (at least [`message_size`](Self::message_size)
    /// bytes, else `InvalidParameter`); never waits (ARINC 653
    /// READ_SAMPLING_MESSAGE). `Empty` if none was ever written.
    pub fn read(&self, buf: &mut [u8]) -> Result<Sample, Status> {
        read_sampling(self.info.handle, buf)
    }
}

impl QueuingSource {
    /// `SendQueuingMessage` (`0xC600_0023`): append `message` to the queue
    /// (ARINC 653 SEND_QUEUING_MESSAGE). If it is full: `Full` at once
    /// with `timeout_ns` 0 (the port counts an overflow), else wait up to
    /// `timeout_ns` ([`INFINITE`]: for ever) for room, `TimedOut` if none
    /// came.
    pub fn send(&self, message: &[u8], timeout_ns: u64) -> Result<(), Status> {
        send_queuing(self.info.handle, message, timeout_ns)
    }
}

impl QueuingDestination {
    /// `ReceiveQueuingMessage` (`0xC600_0024`): take the oldest message
    /// into `buf` (at least [`message_size`](Self::message_size) bytes,
    /// else `InvalidParameter`) and return its length (ARINC 653
    /// RECEIVE_QUEUING_MESSAGE). If the queue is empty: `Empty` at once
    /// with `timeout_ns` 0, else wait up to `timeout_ns` ([`INFINITE`]:
    /// for ever) for a message, `TimedOut` if none came.
    pub fn receive(&self, buf: &mut [u8], timeout_ns: u64) -> Result<usize, Status> {
        receive_queuing(self.info.handle, buf, timeout_ns)
    }
}

// The four message calls by handle, for a layer that keeps handles itself
// (the a653rs backend hands its applications ids, not these types): what
// the types above call. A handle of no port of the caller's is
// `InvalidParameter`, as the ABI says.

/// `WriteSamplingMessage` (`0xC600_0021`) on port `handle`.
pub fn write_sampling(handle: u64, message: &[u8]) -> Result<(), Status> {
    // SAFETY: WriteSamplingMessage only reads the live `message`.
    let [x0, ..] = unsafe {
        hvc(Call::WriteSamplingMessage.id(), [handle, message.as_ptr() as u64, message.len() as u64, 0, 0, 0])
    };
    check(x0)
}

/// `ReadSamplingMessage` (`0xC600_0022`) on port `handle` into `buf`.
pub fn read_sampling(handle: u64, buf: &mut [u8]) -> Result<Sample, Status> {
    // SAFETY: ReadSamplingMessage writes at most `buf.len()` bytes at
    // `buf`, our own live, exclusively borrowed slice.
    let [x0, x1, x2, x3] =
        unsafe { hvc(Call::ReadSamplingMessage.id(), [handle, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0]) };
    check(x0)?;
    Ok(Sample { len: x1 as usize, age_ns: x2, valid: x3 == 1 })
}

/// `SendQueuingMessage` (`0xC600_0023`) on port `handle`.
pub fn send_queuing(handle: u64, message: &[u8], timeout_ns: u64) -> Result<(), Status> {
    // SAFETY: SendQueuingMessage only reads the live `message`; if it
    // waits, it returns only when done, with `message` still borrowed.
    let [x0, ..] = unsafe {
        hvc(Call::SendQueuingMessage.id(), [handle, message.as_ptr() as u64, message.len() as u64, timeout_ns, 0, 0])
    };
    check(x0)
}

/// `ReceiveQueuingMessage` (`0xC600_0024`) on port `handle` into `buf`:
/// the message's length.
pub fn receive_queuing(handle: u64, buf: &mut [u8], timeout_ns: u64) -> Result<usize, Status> {
    // SAFETY: ReceiveQueuingMessage writes at most `buf.len()` bytes at
    // `buf`, our own live, exclusively borrowed slice, and returns only
    // when done.
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
        assert_eq!(port_by_name("status"), Err(Status::NotSupported));
        assert_eq!(SamplingSource::new("status"), Err(Status::NotSupported));
        assert_eq!(port_status(0), Err(Status::NotSupported));
        assert_eq!(write_sampling(0, b"x"), Err(Status::NotSupported));
        assert_eq!(read_sampling(0, &mut [0; 4]), Err(Status::NotSupported));
        assert_eq!(send_queuing(0, b"x", 0), Err(Status::NotSupported));
        assert_eq!(receive_queuing(0, &mut [0; 4], 0), Err(Status::NotSupported));
    }
}
