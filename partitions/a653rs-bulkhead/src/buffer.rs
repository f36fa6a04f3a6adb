//! a653rs `buffer` traits for [`crate::BulkheadHypervisor`]: ARINC 653
//! Part 1 §3.7.2.1 on the SDK's buffers (`bulkhead_sdk::intra`).

use a653rs::bindings::{
    ApexBufferP1, ApexByte, ApexSystemTime, BufferId, BufferName, BufferStatus, ErrorReturnCode, MessageRange,
    MessageSize, QueuingDiscipline,
};
use bulkhead_sdk::intra::Buffer;

use crate::BulkheadHypervisor;
use crate::convert::objects::{arinc, discipline, id, name};
use crate::convert::timeout;

impl ApexBufferP1 for BulkheadHypervisor {
    fn create_buffer(
        buffer_name: BufferName,
        max_message_size: MessageSize,
        max_nb_message: MessageRange,
        queuing_discipline: QueuingDiscipline,
    ) -> Result<BufferId, ErrorReturnCode> {
        let b = Buffer::create(name(&buffer_name)?, max_message_size, max_nb_message, discipline(queuing_discipline))
            .map_err(arinc)?;
        Ok(BufferId::from(b.id()))
    }

    fn send_buffer(buffer_id: BufferId, message: &[ApexByte], time_out: ApexSystemTime) -> Result<(), ErrorReturnCode> {
        Buffer::from_id(id(buffer_id)?).send(message, timeout(time_out)?).map_err(arinc)
    }

    unsafe fn receive_buffer(
        buffer_id: BufferId,
        time_out: ApexSystemTime,
        message: &mut [ApexByte],
    ) -> Result<MessageSize, ErrorReturnCode> {
        let len = Buffer::from_id(id(buffer_id)?).receive(message, timeout(time_out)?).map_err(arinc)?;
        Ok(len as MessageSize)
    }

    fn get_buffer_id(buffer_name: BufferName) -> Result<BufferId, ErrorReturnCode> {
        let name = name(&buffer_name).map_err(|_| ErrorReturnCode::InvalidConfig)?;
        Ok(BufferId::from(Buffer::by_name(name).map_err(arinc)?.id()))
    }

    fn get_buffer_status(buffer_id: BufferId) -> Result<BufferStatus, ErrorReturnCode> {
        let s = Buffer::from_id(id(buffer_id)?).status().map_err(arinc)?;
        Ok(BufferStatus {
            nb_message: s.messages,
            max_nb_message: s.max_messages,
            max_message_size: s.max_message_size,
            waiting_processes: s.waiting as i32,
        })
    }
}
