//! a653rs `event` traits for [`crate::BulkheadHypervisor`]: ARINC 653
//! Part 1 §3.7.2.4 on the SDK's events (`bulkhead_sdk::intra`).

use a653rs::bindings::{ApexEventP1, ApexSystemTime, ErrorReturnCode, EventId, EventName, EventState, EventStatus};
use bulkhead_sdk::intra::Event;

use crate::BulkheadHypervisor;
use crate::convert::objects::{arinc, id, name};
use crate::convert::timeout;

impl ApexEventP1 for BulkheadHypervisor {
    fn create_event(event_name: EventName) -> Result<EventId, ErrorReturnCode> {
        Ok(EventId::from(Event::create(name(&event_name)?).map_err(arinc)?.id()))
    }

    fn set_event(event_id: EventId) -> Result<(), ErrorReturnCode> {
        Event::from_id(id(event_id)?).set().map_err(arinc)
    }

    fn reset_event(event_id: EventId) -> Result<(), ErrorReturnCode> {
        Event::from_id(id(event_id)?).reset().map_err(arinc)
    }

    fn wait_event(event_id: EventId, time_out: ApexSystemTime) -> Result<(), ErrorReturnCode> {
        Event::from_id(id(event_id)?).wait(timeout(time_out)?).map_err(arinc)
    }

    fn get_event_id(event_name: EventName) -> Result<EventId, ErrorReturnCode> {
        let name = name(&event_name).map_err(|_| ErrorReturnCode::InvalidConfig)?;
        Ok(EventId::from(Event::by_name(name).map_err(arinc)?.id()))
    }

    fn get_event_status(event_id: EventId) -> Result<EventStatus, ErrorReturnCode> {
        let s = Event::from_id(id(event_id)?).status().map_err(arinc)?;
        Ok(EventStatus {
            event_state: if s.up { EventState::Up } else { EventState::Down },
            waiting_processes: s.waiting as i32,
        })
    }
}
