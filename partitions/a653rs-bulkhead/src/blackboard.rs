//! a653rs `blackboard` traits for [`crate::BulkheadHypervisor`]: ARINC 653
//! Part 1 §3.7.2.2 on the SDK's blackboards (`bulkhead_sdk::intra`, in the
//! partition's own memory, built on WaitWord/WakeWord).
//!
//! This file also holds [`convert`], the argument and error conversions the
//! five intra-partition files (blackboard, buffer, semaphore, event, mutex)
//! share.

use a653rs::bindings::{
    ApexBlackboardP1, ApexByte, ApexSystemTime, BlackboardId, BlackboardName, BlackboardStatus, EmptyIndicator,
    ErrorReturnCode, MessageSize,
};
use bulkhead_sdk::intra::Blackboard;

use crate::BulkheadHypervisor;
use convert::{arinc, id, name, timeout};

impl ApexBlackboardP1 for BulkheadHypervisor {
    fn create_blackboard(
        blackboard_name: BlackboardName,
        max_message_size: MessageSize,
    ) -> Result<BlackboardId, ErrorReturnCode> {
        let b = Blackboard::create(name(&blackboard_name)?, max_message_size).map_err(arinc)?;
        Ok(BlackboardId::from(b.id()))
    }

    fn display_blackboard(blackboard_id: BlackboardId, message: &[ApexByte]) -> Result<(), ErrorReturnCode> {
        Blackboard::from_id(id(blackboard_id)?).display(message).map_err(arinc)
    }

    unsafe fn read_blackboard(
        blackboard_id: BlackboardId,
        time_out: ApexSystemTime,
        message: &mut [ApexByte],
    ) -> Result<MessageSize, ErrorReturnCode> {
        let len = Blackboard::from_id(id(blackboard_id)?).read(message, timeout(time_out)?).map_err(arinc)?;
        Ok(len as MessageSize)
    }

    fn clear_blackboard(blackboard_id: BlackboardId) -> Result<(), ErrorReturnCode> {
        Blackboard::from_id(id(blackboard_id)?).clear().map_err(arinc)
    }

    fn get_blackboard_id(blackboard_name: BlackboardName) -> Result<BlackboardId, ErrorReturnCode> {
        let name = name(&blackboard_name).map_err(|_| ErrorReturnCode::InvalidConfig)?;
        Ok(BlackboardId::from(Blackboard::by_name(name).map_err(arinc)?.id()))
    }

    fn get_blackboard_status(blackboard_id: BlackboardId) -> Result<BlackboardStatus, ErrorReturnCode> {
        let s = Blackboard::from_id(id(blackboard_id)?).status().map_err(arinc)?;
        Ok(BlackboardStatus {
            empty_indicator: if s.empty { EmptyIndicator::Empty } else { EmptyIndicator::Occupied },
            max_message_size: s.max_message_size,
            waiting_processes: s.waiting as i32,
        })
    }
}

/// Conversions between a653rs's APEX types and the SDK's, for the five
/// intra-partition object files.
pub(crate) mod convert {
    use a653rs::bindings::{ApexName, ApexSystemTime, ErrorReturnCode, QueuingDiscipline};
    use bulkhead_sdk::INFINITE;
    use bulkhead_sdk::intra::{Discipline, Error};

    /// The SDK's error as the APEX return code of the same number.
    pub(crate) fn arinc(e: Error) -> ErrorReturnCode {
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
    pub(crate) fn name(raw: &ApexName) -> Result<&str, ErrorReturnCode> {
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        core::str::from_utf8(&raw[..end]).map_err(|_| ErrorReturnCode::InvalidParam)
    }

    /// An object id: the SDK's ids are 0.. in creation order; a negative
    /// or too large one names no object (INVALID_PARAM).
    pub(crate) fn id(raw: i64) -> Result<u32, ErrorReturnCode> {
        u32::try_from(raw).map_err(|_| ErrorReturnCode::InvalidParam)
    }

    /// An APEX timeout: INFINITE_TIME_VALUE (-1) is the SDK's INFINITE, 0
    /// and positive values are ns; any other negative value is
    /// INVALID_PARAM.
    pub(crate) fn timeout(raw: ApexSystemTime) -> Result<u64, ErrorReturnCode> {
        match raw {
            -1 => Ok(INFINITE),
            t if t >= 0 => Ok(t as u64),
            _ => Err(ErrorReturnCode::InvalidParam),
        }
    }

    /// The queuing discipline.
    pub(crate) fn discipline(d: QueuingDiscipline) -> Discipline {
        match d {
            QueuingDiscipline::Fifo => Discipline::Fifo,
            QueuingDiscipline::Priority => Discipline::Priority,
        }
    }
}
