//! The pure conversions between a653rs's APEX types and Bulkhead's ABI:
//! status codes, names, process ids, times. No hypercall here, so all of
//! it is tested on the host (`cargo test -p a653rs-bulkhead`).
//!
//! ARINC 653 Part 1 section 3.1.4 (return codes), 3.3.1 (process ids),
//! 3.4.1 (system time: a negative value is INFINITE_TIME_VALUE).

use a653rs::bindings::{
    ApexName, ApexSystemTime, ErrorReturnCode, INFINITE_TIME_VALUE, MAIN_PROCESS_ID, MAX_NAME_LENGTH, ProcessId,
};
use bulkhead_sdk::Status;

/// The ARINC return code for a Bulkhead status, where the call gives no
/// more specific meaning (each call's own exceptions are in its module and
/// in the README's coverage table).
///
/// | Bulkhead `Status` | ARINC `RETURN_CODE` | why |
/// | --- | --- | --- |
/// | `NotSupported` | `NOT_AVAILABLE` | the kernel lacks the service (or there is none: a host build) |
/// | `InvalidParameter` | `INVALID_PARAM` | an argument out of range, an id of nothing |
/// | `InvalidAddress` | `INVALID_PARAM` | a buffer the caller may not use |
/// | `Denied` | `INVALID_CONFIG` | the description does not give the partition that right |
/// | `Empty` | `NOT_AVAILABLE` | nothing to receive |
/// | `Full` | `NOT_AVAILABLE` | no room to send |
/// | `TimedOut` | `TIMED_OUT` | |
/// | `InvalidMode` | `INVALID_MODE` | |
/// | `NoAction` | `NO_ACTION` | |
///
/// `Success` is not an error; should it reach here, it is `NO_ACTION`
/// rather than a panic (it cannot: every caller maps `Err` only).
pub const fn return_code(status: Status) -> ErrorReturnCode {
    match status {
        Status::NotSupported | Status::Empty | Status::Full => ErrorReturnCode::NotAvailable,
        Status::InvalidParameter | Status::InvalidAddress => ErrorReturnCode::InvalidParam,
        Status::Denied => ErrorReturnCode::InvalidConfig,
        Status::TimedOut => ErrorReturnCode::TimedOut,
        Status::InvalidMode => ErrorReturnCode::InvalidMode,
        Status::NoAction | Status::Success => ErrorReturnCode::NoAction,
    }
}

/// [`return_code`] of a `Result`'s error.
pub fn returned<T>(result: Result<T, Status>) -> Result<T, ErrorReturnCode> {
    result.map_err(return_code)
}

/// The ARINC name's text: the bytes before the first NUL (all 32 if there
/// is none). `None` if it is empty, not UTF-8, or longer than a Bulkhead
/// name can be (31 bytes, `bulkhead_sdk::MAX_REGION_NAME`): no object of
/// the description can have it, which each create call reports as
/// INVALID_CONFIG.
pub fn name_str(name: &ApexName) -> Option<&str> {
    let len = name.iter().position(|&b| b == 0).unwrap_or(MAX_NAME_LENGTH);
    if len == 0 || len > bulkhead_sdk::MAX_REGION_NAME {
        return None;
    }
    core::str::from_utf8(&name[..len]).ok()
}

/// A Bulkhead name as an ARINC name (NUL-padded); a longer one is cut at
/// 32 bytes (a Bulkhead name has at most 31).
pub fn apex_name(name: &str) -> ApexName {
    let mut out = [0u8; MAX_NAME_LENGTH];
    let n = name.len().min(MAX_NAME_LENGTH);
    out[..n].copy_from_slice(&name.as_bytes()[..n]);
    out
}

/// The process id of thread `index` of the caller's partition: the main
/// process (thread 0, which runs the partition's start-up) is
/// [`MAIN_PROCESS_ID`]; every other thread's id is its index, so 0 stays
/// `NULL_PROCESS_ID`, the id of no process.
pub const fn process_id(index: u32) -> ProcessId {
    if index == 0 { MAIN_PROCESS_ID } else { index as ProcessId }
}

/// The thread index a process id names, or `None` for no thread at all
/// (`NULL_PROCESS_ID`, a negative id other than the main process's, one
/// past the thread limit): INVALID_PARAM.
pub fn thread_index(id: ProcessId) -> Option<u32> {
    match id {
        MAIN_PROCESS_ID => Some(0),
        1..=crate::table::MAX_PROCESSES_I64 => Some(id as u32),
        _ => None,
    }
}

/// An ARINC time-out as Bulkhead's: INFINITE_TIME_VALUE (-1) is
/// `bulkhead_sdk::INFINITE`, 0 and positive values are ns (0: do not
/// wait); any other negative value is out of range: INVALID_PARAM, as
/// ARINC 653 says of every call with a TIME_OUT.
pub const fn timeout(time_out: ApexSystemTime) -> Result<u64, ErrorReturnCode> {
    match time_out {
        INFINITE_TIME_VALUE => Ok(bulkhead_sdk::INFINITE),
        t if t >= 0 => Ok(t as u64),
        _ => Err(ErrorReturnCode::InvalidParam),
    }
}

/// A Bulkhead time (ns, `INFINITE` for none) as an ARINC one: `INFINITE`,
/// and anything past `i64::MAX`, is INFINITE_TIME_VALUE.
pub const fn system_time(ns: u64) -> ApexSystemTime {
    if ns > i64::MAX as u64 { INFINITE_TIME_VALUE } else { ns as ApexSystemTime }
}

/// Conversions between a653rs's APEX types and the SDK's intra-partition
/// objects (`bulkhead_sdk::intra`), for the five object files.
pub mod objects {
    use a653rs::bindings::{ApexName, ErrorReturnCode, QueuingDiscipline};
    use bulkhead_sdk::intra::{Discipline, Error};

    /// The SDK's error as the APEX return code of the same number.
    pub fn arinc(e: Error) -> ErrorReturnCode {
        match e {
            Error::NoAction => ErrorReturnCode::NoAction,
            Error::NotAvailable => ErrorReturnCode::NotAvailable,
            Error::InvalidParam => ErrorReturnCode::InvalidParam,
            Error::InvalidConfig => ErrorReturnCode::InvalidConfig,
            Error::InvalidMode => ErrorReturnCode::InvalidMode,
            Error::TimedOut => ErrorReturnCode::TimedOut,
        }
    }

    /// An APEX name (up to 32 bytes, NUL-padded) as text: up to its first
    /// NUL. Not UTF-8 is INVALID_PARAM; the SDK refuses names over 30
    /// bytes or empty (INVALID_PARAM).
    pub fn name(raw: &ApexName) -> Result<&str, ErrorReturnCode> {
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        core::str::from_utf8(&raw[..end]).map_err(|_| ErrorReturnCode::InvalidParam)
    }

    /// An object id: the SDK's ids are 0.. in creation order; a negative
    /// or too large one names no object (INVALID_PARAM).
    pub fn id(raw: i64) -> Result<u32, ErrorReturnCode> {
        u32::try_from(raw).map_err(|_| ErrorReturnCode::InvalidParam)
    }

    /// The queuing discipline.
    pub fn discipline(d: QueuingDiscipline) -> Discipline {
        match d {
            QueuingDiscipline::Fifo => Discipline::Fifo,
            QueuingDiscipline::Priority => Discipline::Priority,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use a653rs::bindings::NULL_PROCESS_ID;

    #[test]
    fn every_status_has_its_return_code() {
        use ErrorReturnCode as R;
        for (status, code) in [
            (Status::NotSupported, R::NotAvailable),
            (Status::InvalidParameter, R::InvalidParam),
            (Status::InvalidAddress, R::InvalidParam),
            (Status::Denied, R::InvalidConfig),
            (Status::Empty, R::NotAvailable),
            (Status::Full, R::NotAvailable),
            (Status::TimedOut, R::TimedOut),
            (Status::InvalidMode, R::InvalidMode),
            (Status::NoAction, R::NoAction),
        ] {
            assert_eq!(return_code(status), code, "{status:?}");
        }
        assert_eq!(returned::<()>(Err(Status::Full)), Err(R::NotAvailable));
        assert_eq!(returned(Ok(7)), Ok(7));
    }

    #[test]
    fn names_are_the_bytes_before_the_first_nul() {
        assert_eq!(name_str(&apex_name("req_source")), Some("req_source"));
        let mut n = apex_name("ping");
        n[6] = b'x'; // after the NUL: not part of the name
        assert_eq!(name_str(&n), Some("ping"));
        assert_eq!(name_str(&[0; 32]), None, "empty");
        assert_eq!(name_str(&apex_name(&"a".repeat(31))).map(str::len), Some(31));
        assert_eq!(name_str(&[b'a'; 32]), None, "32 bytes: longer than any Bulkhead name");
        let mut bad = apex_name("ok");
        bad[0] = 0xff;
        assert_eq!(name_str(&bad), None, "not UTF-8");
        assert_eq!(apex_name(&"b".repeat(40)), [b'b'; 32]);
    }

    #[test]
    fn process_ids_keep_null_and_main_apart() {
        assert_eq!(process_id(0), MAIN_PROCESS_ID);
        assert_eq!(process_id(1), 1);
        assert_eq!(process_id(5), 5);
        assert_eq!(thread_index(MAIN_PROCESS_ID), Some(0));
        assert_eq!(thread_index(NULL_PROCESS_ID), None);
        assert_eq!(thread_index(3), Some(3));
        assert_eq!(thread_index(-2), None);
        assert_eq!(thread_index(64), None);
        assert_eq!(thread_index(63), Some(63));
        for index in 0..64 {
            assert_eq!(thread_index(process_id(index)), Some(index));
        }
    }

    #[test]
    fn times_and_timeouts() {
        assert_eq!(timeout(INFINITE_TIME_VALUE), Ok(bulkhead_sdk::INFINITE));
        assert_eq!(timeout(-5), Err(ErrorReturnCode::InvalidParam));
        assert_eq!(timeout(0), Ok(0));
        assert_eq!(timeout(1_000_000), Ok(1_000_000));
        assert_eq!(system_time(bulkhead_sdk::INFINITE), INFINITE_TIME_VALUE);
        assert_eq!(system_time(20_000_000), 20_000_000);
        assert_eq!(system_time(i64::MAX as u64 + 1), INFINITE_TIME_VALUE);
    }
}
