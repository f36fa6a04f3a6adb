//! CREATE_PROCESS and CREATE_*_PORT against the system description, as an
//! ARINC 653 OS checks them against its configuration: Bulkhead's threads
//! and ports are described statically, so a create service finds the
//! described object of that name and refuses attributes that differ from
//! it (ARINC 653 Part 1 sections 3.3.2.3, 3.6.2.1.1, 3.6.2.2.1). Pure
//! functions of what the kernel reported; tested on the host.
//!
//! Each refusal names the attribute, what the application asked and what
//! the description says: the create service prints it on the partition's
//! console, so a port's mismatch reads as the fix to make.

use core::fmt;

use a653rs::bindings::{
    ApexProcessAttribute, ApexSystemTime, ErrorReturnCode, MessageRange, MessageSize, PortDirection,
};
use bulkhead_sdk::abi::PortStatus;
use bulkhead_sdk::{INFINITE, ProcessStatusRecord};

/// A value in a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// A duration, ns.
    Ns(u64),
    /// INFINITE (asked), none (described): shown as `none`.
    Infinite,
    /// A number without unit.
    Number(i64),
    /// A word.
    Text(&'static str),
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Ns(ns) => write!(f, "{ns} ns"),
            Shown::Infinite => f.write_str("none"),
            Shown::Number(n) => write!(f, "{n}"),
            Shown::Text(t) => f.write_str(t),
        }
    }
}

/// Why a create service refused, and with which ARINC return code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorReturnCode,
    /// The attribute, as the description names it.
    pub what: &'static str,
    pub asked: Shown,
    pub described: Shown,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}, the description says {} ({:?})", self.what, self.asked, self.described, self.code)
    }
}

const fn refuse(code: ErrorReturnCode, what: &'static str, asked: Shown, described: Shown) -> Result<(), Refusal> {
    Err(Refusal { code, what, asked, described })
}

fn ns_or_none(ns: u64) -> Shown {
    if ns == INFINITE { Shown::Infinite } else { Shown::Ns(ns) }
}

fn time_shown(t: ApexSystemTime) -> Shown {
    if t < 0 { Shown::Infinite } else { Shown::Ns(t as u64) }
}

/// A process's attributes against its thread as the kernel reports it
/// (GetProcessStatus: the description's `period`, `deadline` (the time
/// capacity) and `priority`).
///
/// - `period`: INFINITE (aperiodic) and 0 (released at each of the
///   partition's windows, what a653rs-linux's examples use) both need a
///   thread without `period`; any other value, the same `period`.
/// - `time_capacity`: INFINITE needs a thread without `deadline`, any
///   other value the same `deadline`.
/// - `base_priority`: 0..=255 (else INVALID_PARAM), the thread's
///   `priority`.
/// - ARINC's own checks first: a positive period shorter than the time
///   capacity is INVALID_PARAM.
///
/// `stack_size` and `deadline` (hard or soft) are not checked here: the
/// kernel does not report a thread's stack size (a process that needs more
/// than its `stack` faults into its guard page: the health monitor's
/// `stack_overflow`), and a deadline miss is handled as the health table
/// says, hard or soft.
pub fn process_attributes(attributes: &ApexProcessAttribute, thread: &ProcessStatusRecord) -> Result<(), Refusal> {
    use ErrorReturnCode::{InvalidConfig, InvalidParam};
    let (period, capacity) = (attributes.period, attributes.time_capacity);
    if period > 0 && capacity >= 0 && period < capacity {
        return refuse(InvalidParam, "period shorter than the time capacity", time_shown(period), time_shown(capacity));
    }
    if !(0..=255).contains(&attributes.base_priority) {
        return refuse(
            InvalidParam,
            "priority",
            Shown::Number(i64::from(attributes.base_priority)),
            Shown::Text("0..=255"),
        );
    }
    let described_period = thread.period_ns;
    let period_fits = if period <= 0 { described_period == INFINITE } else { described_period == period as u64 };
    if !period_fits {
        return refuse(InvalidConfig, "period", time_shown(period), ns_or_none(described_period));
    }
    let described_capacity = thread.time_capacity_ns;
    let capacity_fits =
        if capacity < 0 { described_capacity == INFINITE } else { described_capacity == capacity as u64 };
    if !capacity_fits {
        return refuse(InvalidConfig, "deadline (time capacity)", time_shown(capacity), ns_or_none(described_capacity));
    }
    if attributes.base_priority as u32 != thread.base_priority {
        return refuse(
            InvalidConfig,
            "priority",
            Shown::Number(i64::from(attributes.base_priority)),
            Shown::Number(i64::from(thread.base_priority)),
        );
    }
    Ok(())
}

fn direction_shown(destination: bool) -> Shown {
    Shown::Text(if destination { "destination" } else { "source" })
}

fn kind_direction(port: &PortStatus, queuing: bool, direction: PortDirection) -> Result<(), Refusal> {
    use ErrorReturnCode::InvalidConfig;
    let is_queuing = port.kind == 1;
    if is_queuing != queuing {
        let kind = |q: bool| Shown::Text(if q { "queuing" } else { "sampling" });
        return refuse(InvalidConfig, "kind", kind(queuing), kind(is_queuing));
    }
    let destination = direction == PortDirection::Destination;
    if (port.direction == 1) != destination {
        return refuse(InvalidConfig, "direction", direction_shown(destination), direction_shown(port.direction == 1));
    }
    Ok(())
}

fn message_size(asked: MessageSize, port: &PortStatus) -> Result<(), Refusal> {
    if asked != port.max_message_size {
        return refuse(
            ErrorReturnCode::InvalidConfig,
            "message_size",
            Shown::Number(i64::from(asked)),
            Shown::Number(i64::from(port.max_message_size)),
        );
    }
    Ok(())
}

/// CREATE_SAMPLING_PORT against the port's status: a sampling port, the
/// direction and message size of the description; a destination's refresh
/// period the channel's `refresh_period` (a source's is not used, as
/// a653rs itself says: any value passes).
pub fn sampling_port(
    size: MessageSize,
    direction: PortDirection,
    refresh: ApexSystemTime,
    port: &PortStatus,
) -> Result<(), Refusal> {
    kind_direction(port, false, direction)?;
    message_size(size, port)?;
    if direction == PortDirection::Destination && (refresh < 0 || refresh as u64 != port.refresh_period_ns) {
        return refuse(
            ErrorReturnCode::InvalidConfig,
            "refresh_period",
            time_shown(refresh),
            Shown::Ns(port.refresh_period_ns),
        );
    }
    Ok(())
}

/// CREATE_QUEUING_PORT against the port's status: a queuing port, the
/// direction, message size and depth of the description. Either queuing
/// discipline is accepted: the description has none, and the kernel wakes
/// every process waiting on the port, the first to run taking the message
/// (see the README's coverage table).
pub fn queuing_port(
    size: MessageSize,
    depth: MessageRange,
    direction: PortDirection,
    port: &PortStatus,
) -> Result<(), Refusal> {
    kind_direction(port, true, direction)?;
    message_size(size, port)?;
    if depth != port.depth {
        return refuse(
            ErrorReturnCode::InvalidConfig,
            "depth",
            Shown::Number(i64::from(depth)),
            Shown::Number(i64::from(port.depth)),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;
    use a653rs::bindings::{Deadline, INFINITE_TIME_VALUE};

    extern "C" fn entry() {}

    fn attributes(period: i64, time_capacity: i64, base_priority: i32) -> ApexProcessAttribute {
        ApexProcessAttribute {
            period,
            time_capacity,
            entry_point: entry,
            stack_size: 8192,
            base_priority,
            deadline: Deadline::Soft,
            name: crate::convert::apex_name("p"),
        }
    }

    fn thread(period_ns: u64, time_capacity_ns: u64, base_priority: u32) -> ProcessStatusRecord {
        ProcessStatusRecord { period_ns, time_capacity_ns, base_priority, ..Default::default() }
    }

    #[test]
    fn a_process_matching_its_thread_is_accepted() {
        // Aperiodic, and "period 0" (every window): a thread without period.
        assert_eq!(process_attributes(&attributes(INFINITE_TIME_VALUE, -1, 1), &thread(INFINITE, INFINITE, 1)), Ok(()));
        assert_eq!(process_attributes(&attributes(0, -1, 1), &thread(INFINITE, INFINITE, 1)), Ok(()));
        assert_eq!(
            process_attributes(&attributes(20_000_000, 5_000_000, 7), &thread(20_000_000, 5_000_000, 7)),
            Ok(())
        );
    }

    #[test]
    fn each_differing_attribute_is_named() {
        let r = process_attributes(&attributes(10_000_000, -1, 1), &thread(20_000_000, INFINITE, 1)).unwrap_err();
        assert_eq!((r.code, r.what), (ErrorReturnCode::InvalidConfig, "period"));
        assert_eq!(r.to_string(), "period 10000000 ns, the description says 20000000 ns (InvalidConfig)");
        let r = process_attributes(&attributes(0, -1, 1), &thread(20_000_000, INFINITE, 1)).unwrap_err();
        assert_eq!((r.what, r.asked), ("period", Shown::Ns(0)));
        let r = process_attributes(&attributes(-1, -1, 1), &thread(INFINITE, 4_000_000, 1)).unwrap_err();
        assert_eq!(r.to_string(), "deadline (time capacity) none, the description says 4000000 ns (InvalidConfig)");
        let r = process_attributes(&attributes(-1, -1, 3), &thread(INFINITE, INFINITE, 1)).unwrap_err();
        assert_eq!(
            (r.code, r.what, r.asked, r.described),
            (ErrorReturnCode::InvalidConfig, "priority", Shown::Number(3), Shown::Number(1))
        );
    }

    #[test]
    fn arinc_range_checks_come_first() {
        let r = process_attributes(&attributes(-1, -1, 256), &thread(INFINITE, INFINITE, 1)).unwrap_err();
        assert_eq!((r.code, r.what), (ErrorReturnCode::InvalidParam, "priority"));
        let r = process_attributes(&attributes(-1, -1, -1), &thread(INFINITE, INFINITE, 1)).unwrap_err();
        assert_eq!(r.code, ErrorReturnCode::InvalidParam);
        let r = process_attributes(&attributes(5, 10, 1), &thread(5, 10, 1)).unwrap_err();
        assert_eq!(r.code, ErrorReturnCode::InvalidParam, "period under the time capacity");
    }

    fn port(kind: u8, direction: u8, size: u32, depth: u32, refresh_ns: u64) -> PortStatus {
        PortStatus {
            kind,
            direction,
            max_message_size: size,
            depth,
            refresh_period_ns: refresh_ns,
            ..Default::default()
        }
    }

    #[test]
    fn sampling_ports_match_the_description() {
        let dest = port(0, 1, 8, 0, 100_000_000);
        assert_eq!(sampling_port(8, PortDirection::Destination, 100_000_000, &dest), Ok(()));
        let r = sampling_port(8, PortDirection::Destination, 50_000_000, &dest).unwrap_err();
        assert_eq!((r.code, r.what), (ErrorReturnCode::InvalidConfig, "refresh_period"));
        assert_eq!(sampling_port(16, PortDirection::Destination, 100_000_000, &dest).unwrap_err().what, "message_size");
        assert_eq!(sampling_port(8, PortDirection::Source, 1, &dest).unwrap_err().what, "direction");
        // A source's refresh period is not used.
        assert_eq!(sampling_port(8, PortDirection::Source, 1, &port(0, 0, 8, 0, 100_000_000)), Ok(()));
        let r = sampling_port(8, PortDirection::Source, 1, &port(1, 0, 8, 4, 0)).unwrap_err();
        assert_eq!(r.to_string(), "kind sampling, the description says queuing (InvalidConfig)");
    }

    #[test]
    fn queuing_ports_match_the_description() {
        let src = port(1, 0, 16, 10, 0);
        assert_eq!(queuing_port(16, 10, PortDirection::Source, &src), Ok(()));
        assert_eq!(queuing_port(16, 9, PortDirection::Source, &src).unwrap_err().what, "depth");
        assert_eq!(queuing_port(32, 10, PortDirection::Source, &src).unwrap_err().what, "message_size");
        let r = queuing_port(16, 10, PortDirection::Destination, &src).unwrap_err();
        assert_eq!(r.to_string(), "direction destination, the description says source (InvalidConfig)");
        assert_eq!(queuing_port(16, 10, PortDirection::Source, &port(0, 0, 16, 0, 1)).unwrap_err().what, "kind");
    }
}
