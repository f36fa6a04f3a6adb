//! a653rs `sampling` traits for [`crate::BulkheadHypervisor`]: ARINC 653
//! Part 1 section 3.6.2.1 on the kernel's sampling ports (the ends of the
//! description's `kind = "sampling"` channels).

use a653rs::bindings::{
    ApexByte, ApexSamplingPortP1, ApexSamplingPortP4, ApexSamplingPortStatus, ApexSystemTime, ErrorReturnCode,
    MessageSize, PortDirection, SamplingPortId, SamplingPortName, Validity,
};
use bulkhead_sdk::Status;

use crate::BulkheadHypervisor;
use crate::convert::{return_code, returned, system_time};
use crate::port;

fn direction(destination: bool) -> PortDirection {
    if destination { PortDirection::Destination } else { PortDirection::Source }
}

impl ApexSamplingPortP4 for BulkheadHypervisor {
    /// CREATE_SAMPLING_PORT: finds the description's port of that name and
    /// checks it is a sampling port of that direction and message size,
    /// and for a destination that the refresh period is the channel's
    /// ([`crate::check::sampling_port`]): else INVALID_CONFIG. Only during
    /// initialisation (INVALID_MODE); a second create is NO_ACTION.
    fn create_sampling_port(
        sampling_port_name: SamplingPortName,
        max_message_size: MessageSize,
        port_direction: PortDirection,
        refresh_period: ApexSystemTime,
    ) -> Result<SamplingPortId, ErrorReturnCode> {
        port::create("CREATE_SAMPLING_PORT", &sampling_port_name, |status| {
            crate::check::sampling_port(max_message_size, port_direction, refresh_period, status)
        })
    }

    /// WRITE_SAMPLING_MESSAGE: replaces the channel's message. Longer than
    /// the message size INVALID_CONFIG, empty INVALID_PARAM, a destination
    /// port INVALID_MODE.
    fn write_sampling_message(sampling_port_id: SamplingPortId, message: &[ApexByte]) -> Result<(), ErrorReturnCode> {
        let (handle, p) = port::created(sampling_port_id, false)?;
        port::sendable(message, p)?;
        if p.destination {
            return Err(ErrorReturnCode::InvalidMode);
        }
        returned(bulkhead_sdk::port::write_sampling(handle, message))
    }

    /// READ_SAMPLING_MESSAGE: the latest message and whether it is younger
    /// than the refresh period (VALID); never waits. Nothing ever written:
    /// NO_ACTION; a source port INVALID_MODE; a buffer under the message
    /// size INVALID_PARAM.
    ///
    /// # Safety
    ///
    /// None beyond a653rs's: the kernel writes at most `message.len()`
    /// bytes, and the length it returns is at most that.
    unsafe fn read_sampling_message(
        sampling_port_id: SamplingPortId,
        message: &mut [ApexByte],
    ) -> Result<(Validity, MessageSize), ErrorReturnCode> {
        let (handle, p) = port::created(sampling_port_id, false)?;
        if !p.destination {
            return Err(ErrorReturnCode::InvalidMode);
        }
        port::receivable(message, p)?;
        let sample = bulkhead_sdk::port::read_sampling(handle, message).map_err(|s| match s {
            Status::Empty => ErrorReturnCode::NoAction,
            other => return_code(other),
        })?;
        let validity = if sample.valid { Validity::Valid } else { Validity::Invalid };
        Ok((validity, sample.len.min(message.len()) as MessageSize))
    }
}

impl ApexSamplingPortP1 for BulkheadHypervisor {
    /// GET_SAMPLING_PORT_ID: the id of the created sampling port of that
    /// name; else INVALID_CONFIG.
    fn get_sampling_port_id(sampling_port_name: SamplingPortName) -> Result<SamplingPortId, ErrorReturnCode> {
        port::by_name(&sampling_port_name, false)
    }

    /// GET_SAMPLING_PORT_STATUS: refresh period, message size, direction
    /// and the latest message's validity.
    fn get_sampling_port_status(sampling_port_id: SamplingPortId) -> Result<ApexSamplingPortStatus, ErrorReturnCode> {
        let (handle, p) = port::created(sampling_port_id, false)?;
        let s = returned(bulkhead_sdk::port_status(handle))?;
        Ok(ApexSamplingPortStatus {
            refresh_period: system_time(s.refresh_period_ns),
            max_message_size: s.max_message_size,
            port_direction: direction(p.destination),
            last_msg_validity: if s.validity == 1 { Validity::Valid } else { Validity::Invalid },
        })
    }
}
