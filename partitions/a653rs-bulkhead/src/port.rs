//! What sampling and queuing ports share: the ids a653rs gets, the create
//! service's look-up and checks, and the checks of every later call.
//!
//! A port id is the kernel's port handle plus one, so that an id of 0 or
//! less names no port. An id names a port only once the application has
//! created it in this initialisation (ARINC 653 Part 1: "the port id does
//! not identify an existing port", INVALID_PARAM).

use a653rs::bindings::{ApexName, ErrorReturnCode};
use bulkhead_sdk::abi::PortStatus;

use crate::check::Refusal;
use crate::convert::{name_str, returned};
use crate::table::{self, Port};

/// The a653rs id of port `handle`.
pub const fn id(handle: u64) -> i64 {
    handle as i64 + 1
}

/// The handle and record of the created port `id` of this kind, or
/// INVALID_PARAM.
pub fn created(id: i64, queuing: bool) -> Result<(u64, Port), ErrorReturnCode> {
    let handle = u64::try_from(id).ok().and_then(|i| i.checked_sub(1)).ok_or(ErrorReturnCode::InvalidParam)?;
    match table::port(handle) {
        Some(p) if p.queuing == queuing => Ok((handle, p)),
        _ => Err(ErrorReturnCode::InvalidParam),
    }
}

/// ARINC's length checks of a message to send: longer than the port's
/// message size INVALID_CONFIG, empty INVALID_PARAM.
pub fn sendable(message: &[u8], port: Port) -> Result<(), ErrorReturnCode> {
    if message.len() > port.message_size as usize {
        return Err(ErrorReturnCode::InvalidConfig);
    }
    if message.is_empty() {
        return Err(ErrorReturnCode::InvalidParam);
    }
    Ok(())
}

/// A receive buffer must hold the port's message size (a653rs's
/// `validate_read` says so before it calls; the kernel refuses less).
pub fn receivable(buffer: &[u8], port: Port) -> Result<(), ErrorReturnCode> {
    if buffer.len() < port.message_size as usize { Err(ErrorReturnCode::InvalidParam) } else { Ok(()) }
}

/// CREATE_SAMPLING_PORT / CREATE_QUEUING_PORT (`service` names it in a
/// refusal): during initialisation only (INVALID_MODE), a port of the
/// description by that name (INVALID_CONFIG), not created yet in this
/// initialisation (NO_ACTION), matching the description (`check`:
/// INVALID_CONFIG, printed with what differs).
pub fn create(
    service: &str,
    name: &ApexName,
    check: impl FnOnce(&PortStatus) -> Result<(), Refusal>,
) -> Result<i64, ErrorReturnCode> {
    let (init, restarts) = crate::partition::initialising().ok_or(ErrorReturnCode::NotAvailable)?;
    if !init {
        return Err(ErrorReturnCode::InvalidMode);
    }
    table::begin(restarts);
    let Some(text) = name_str(name) else {
        bulkhead_sdk::println!("a653rs-bulkhead: {service}: a name no port can have (InvalidConfig)");
        return Err(ErrorReturnCode::InvalidConfig);
    };
    let Ok(info) = bulkhead_sdk::port_by_name(text) else {
        bulkhead_sdk::println!(
            "a653rs-bulkhead: {service} {text}: not packed (undeclared or unconnected) (InvalidConfig)"
        );
        return Err(ErrorReturnCode::InvalidConfig);
    };
    if table::port(info.handle).is_some() {
        return Err(ErrorReturnCode::NoAction);
    }
    let status = returned(bulkhead_sdk::port_status(info.handle))?;
    if let Err(refusal) = check(&status) {
        bulkhead_sdk::println!("a653rs-bulkhead: {service} {text}: {refusal}");
        return Err(refusal.code);
    }
    let port = Port { queuing: info.queuing, destination: info.destination, message_size: status.max_message_size };
    if !table::create_port(info.handle, port) {
        return Err(ErrorReturnCode::NoAction);
    }
    Ok(id(info.handle))
}

/// GET_SAMPLING_PORT_ID / GET_QUEUING_PORT_ID: the id of the created port
/// of this kind by that name, else INVALID_CONFIG.
pub fn by_name(name: &ApexName, queuing: bool) -> Result<i64, ErrorReturnCode> {
    let text = name_str(name).ok_or(ErrorReturnCode::InvalidConfig)?;
    let info = bulkhead_sdk::port_by_name(text).map_err(|_| ErrorReturnCode::InvalidConfig)?;
    match table::port(info.handle) {
        Some(p) if p.queuing == queuing => Ok(id(info.handle)),
        _ => Err(ErrorReturnCode::InvalidConfig),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_handles_plus_one_and_need_a_create() {
        assert_eq!(id(0), 1);
        assert_eq!(created(0, true), Err(ErrorReturnCode::InvalidParam));
        assert_eq!(created(-1, false), Err(ErrorReturnCode::InvalidParam));
        // Handle 100 is never created by the table's own test.
        assert_eq!(created(id(100), false), Err(ErrorReturnCode::InvalidParam));
    }

    #[test]
    fn message_lengths() {
        let p = Port { queuing: true, destination: false, message_size: 16 };
        assert_eq!(sendable(&[0; 16], p), Ok(()));
        assert_eq!(sendable(&[0; 17], p), Err(ErrorReturnCode::InvalidConfig));
        assert_eq!(sendable(&[], p), Err(ErrorReturnCode::InvalidParam));
        assert_eq!(receivable(&[0; 16], p), Ok(()));
        assert_eq!(receivable(&[0; 15], p), Err(ErrorReturnCode::InvalidParam));
    }

    #[test]
    fn create_needs_a_kernel() {
        // On the host GetPartitionStatus is NotSupported.
        assert_eq!(
            create("CREATE_QUEUING_PORT", &crate::convert::apex_name("tx"), |_| Ok(())),
            Err(ErrorReturnCode::NotAvailable)
        );
    }
}
