//! a653rs `semaphore` traits for [`crate::BulkheadHypervisor`]: ARINC 653
//! Part 1 §3.7.2.3 on the SDK's semaphores (`bulkhead_sdk::intra`).

use a653rs::bindings::{
    ApexSemaphoreP1, ApexSystemTime, ErrorReturnCode, QueuingDiscipline, SemaphoreId, SemaphoreName, SemaphoreStatus,
    SemaphoreValue,
};
use bulkhead_sdk::intra::Semaphore;

use crate::BulkheadHypervisor;
use crate::convert::objects::{arinc, discipline, id, name};
use crate::convert::timeout;

impl ApexSemaphoreP1 for BulkheadHypervisor {
    fn create_semaphore(
        semaphore_name: SemaphoreName,
        current_value: SemaphoreValue,
        maximum_value: SemaphoreValue,
        queuing_discipline: QueuingDiscipline,
    ) -> Result<SemaphoreId, ErrorReturnCode> {
        // Negative values are out of ARINC's range (INVALID_PARAM), as are
        // values over MAX_SEMAPHORE_VALUE (the SDK's check).
        let value = u32::try_from(current_value).map_err(|_| ErrorReturnCode::InvalidParam)?;
        let maximum = u32::try_from(maximum_value).map_err(|_| ErrorReturnCode::InvalidParam)?;
        let s =
            Semaphore::create(name(&semaphore_name)?, value, maximum, discipline(queuing_discipline)).map_err(arinc)?;
        Ok(SemaphoreId::from(s.id()))
    }

    fn wait_semaphore(semaphore_id: SemaphoreId, time_out: ApexSystemTime) -> Result<(), ErrorReturnCode> {
        Semaphore::from_id(id(semaphore_id)?).wait(timeout(time_out)?).map_err(arinc)
    }

    fn signal_semaphore(semaphore_id: SemaphoreId) -> Result<(), ErrorReturnCode> {
        Semaphore::from_id(id(semaphore_id)?).signal().map_err(arinc)
    }

    fn get_semaphore_id(semaphore_name: SemaphoreName) -> Result<SemaphoreId, ErrorReturnCode> {
        let name = name(&semaphore_name).map_err(|_| ErrorReturnCode::InvalidConfig)?;
        Ok(SemaphoreId::from(Semaphore::by_name(name).map_err(arinc)?.id()))
    }

    fn get_semaphore_status(semaphore_id: SemaphoreId) -> Result<SemaphoreStatus, ErrorReturnCode> {
        let s = Semaphore::from_id(id(semaphore_id)?).status().map_err(arinc)?;
        Ok(SemaphoreStatus {
            current_value: s.value as SemaphoreValue,
            maximum_value: s.maximum as SemaphoreValue,
            waiting_processes: s.waiting as i32,
        })
    }
}
