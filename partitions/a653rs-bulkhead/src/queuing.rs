//! a653rs `queuing` traits for [`crate::BulkheadHypervisor`]: ARINC 653
//! Part 1 section 3.6.2.2 on the kernel's queuing ports (the ends of the
//! description's `kind = "queuing"` channels).
//!
//! A Bulkhead queue never overflows at the receiver: a send to a full
//! queue is refused (NOT_AVAILABLE, or it waits), so RECEIVE never reports
//! an overflow.

use a653rs::bindings::{
    ApexByte, ApexQueuingPortP1, ApexQueuingPortP4, ApexSystemTime, ErrorReturnCode, MessageRange, MessageSize,
    PortDirection, QueueOverflow, QueuingDiscipline, QueuingPortId, QueuingPortName, QueuingPortStatus,
};
use bulkhead_sdk::Status;

use crate::BulkheadHypervisor;
use crate::convert::{returned, timeout};
use crate::port;

/// A wait (`time_out` ≠ 0) from the error handler is INVALID_MODE (the
/// kernel itself refuses one with the preemption lock held).
fn may_wait(time_out: ApexSystemTime) -> Result<(), ErrorReturnCode> {
    if time_out != 0 && crate::process::is_error_handler()? {
        return Err(ErrorReturnCode::InvalidMode);
    }
    Ok(())
}

impl ApexQueuingPortP4 for BulkheadHypervisor {
    /// CREATE_QUEUING_PORT: finds the description's port of that name and
    /// checks it is a queuing port of that direction, message size and
    /// depth ([`crate::check::queuing_port`]): else INVALID_CONFIG. Either
    /// discipline is accepted (the description has none; the kernel wakes
    /// every waiting process and the first to run takes the message: by
    /// priority among waiters on one core, in no set order across cores).
    /// Only during initialisation (INVALID_MODE); a second create is
    /// NO_ACTION.
    fn create_queuing_port(
        queuing_port_name: QueuingPortName,
        max_message_size: MessageSize,
        max_nb_message: MessageRange,
        port_direction: PortDirection,
        _queuing_discipline: QueuingDiscipline,
    ) -> Result<QueuingPortId, ErrorReturnCode> {
        port::create("CREATE_QUEUING_PORT", &queuing_port_name, |status| {
            crate::check::queuing_port(max_message_size, max_nb_message, port_direction, status)
        })
    }

    /// SEND_QUEUING_MESSAGE: appends the message. A full queue: with
    /// time-out 0 NOT_AVAILABLE (the port counts an overflow), else waits
    /// up to the time-out (negative: for ever), TIMED_OUT if no room came.
    /// Longer than the message size INVALID_CONFIG, empty INVALID_PARAM, a
    /// destination port INVALID_MODE, a wait with the preemption lock held
    /// or from the error handler INVALID_MODE.
    fn send_queuing_message(
        queuing_port_id: QueuingPortId,
        message: &[ApexByte],
        time_out: ApexSystemTime,
    ) -> Result<(), ErrorReturnCode> {
        let (handle, p) = port::created(queuing_port_id, true)?;
        port::sendable(message, p)?;
        if p.destination {
            return Err(ErrorReturnCode::InvalidMode);
        }
        may_wait(time_out)?;
        returned(bulkhead_sdk::port::send_queuing(handle, message, timeout(time_out)?))
    }

    /// RECEIVE_QUEUING_MESSAGE: takes the oldest message. An empty queue:
    /// with time-out 0 NOT_AVAILABLE, else waits up to the time-out
    /// (negative: for ever), TIMED_OUT if none came. A source port
    /// INVALID_MODE, a buffer under the message size INVALID_PARAM, a wait
    /// with the preemption lock held or from the error handler
    /// INVALID_MODE. Never an overflow (see the module header).
    ///
    /// # Safety
    ///
    /// None beyond a653rs's: the kernel writes at most `message.len()`
    /// bytes, and the length it returns is at most that.
    unsafe fn receive_queuing_message(
        queuing_port_id: QueuingPortId,
        time_out: ApexSystemTime,
        message: &mut [ApexByte],
    ) -> Result<(MessageSize, QueueOverflow), ErrorReturnCode> {
        let (handle, p) = port::created(queuing_port_id, true)?;
        if !p.destination {
            return Err(ErrorReturnCode::InvalidMode);
        }
        port::receivable(message, p)?;
        may_wait(time_out)?;
        let len = returned(bulkhead_sdk::port::receive_queuing(handle, message, timeout(time_out)?))?;
        Ok((len.min(message.len()) as MessageSize, false))
    }

    /// GET_QUEUING_PORT_STATUS: messages held, depth, message size,
    /// direction, and the processes of the module waiting on the channel.
    fn get_queuing_port_status(queuing_port_id: QueuingPortId) -> Result<QueuingPortStatus, ErrorReturnCode> {
        let (handle, p) = port::created(queuing_port_id, true)?;
        let s = returned(bulkhead_sdk::port_status(handle))?;
        Ok(QueuingPortStatus {
            nb_message: s.messages,
            max_nb_message: s.depth,
            max_message_size: s.max_message_size,
            port_direction: if p.destination { PortDirection::Destination } else { PortDirection::Source },
            waiting_processes: s.waiting.min(i32::MAX as u32) as i32,
        })
    }

    /// CLEAR_QUEUING_PORT of a destination port (a source is
    /// INVALID_MODE): receives, without waiting, every message queued, and
    /// drops them. The sender's partition never runs meanwhile
    /// (partitions' windows do not overlap), so none comes in between.
    fn clear_queuing_port(queuing_port_id: QueuingPortId) -> Result<(), ErrorReturnCode> {
        let (handle, p) = port::created(queuing_port_id, true)?;
        if !p.destination {
            return Err(ErrorReturnCode::InvalidMode);
        }
        if p.message_size as usize <= SMALL_MESSAGE {
            drain(handle, &mut [0; SMALL_MESSAGE])
        } else {
            drain(handle, &mut [0; bulkhead_sdk::abi::MAX_MESSAGE_SIZE])
        }
    }
}

/// Messages up to this size are drained with a buffer of this size on the
/// stack, larger ones with one of the largest size (8 KiB): a small
/// process stack is not spent on large buffers it never needs.
const SMALL_MESSAGE: usize = 256;

fn drain(handle: u64, buffer: &mut [u8]) -> Result<(), ErrorReturnCode> {
    loop {
        match bulkhead_sdk::port::receive_queuing(handle, buffer, 0) {
            Ok(_) => {}
            Err(Status::Empty) => return Ok(()),
            Err(other) => return Err(crate::convert::return_code(other)),
        }
    }
}

impl ApexQueuingPortP1 for BulkheadHypervisor {
    /// GET_QUEUING_PORT_ID: the id of the created queuing port of that
    /// name; else INVALID_CONFIG.
    fn get_queuing_port_id(queuing_port_name: QueuingPortName) -> Result<QueuingPortId, ErrorReturnCode> {
        port::by_name(&queuing_port_name, true)
    }
}
