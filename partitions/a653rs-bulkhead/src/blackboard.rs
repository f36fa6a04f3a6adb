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
use crate::convert::objects::{arinc, id, name};
use crate::convert::timeout;

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
