//! a653rs `time` traits for [`crate::BulkheadHypervisor`]: ARINC 653 Part 1
//! section 3.4.2 on the kernel's GetTime, PeriodicWait, TimedWait and
//! Replenish.
//!
//! System time is the module's: nanoseconds since the start of major
//! frame 0, the same on every core.

use a653rs::bindings::{ApexSystemTime, ApexTimeP1, ApexTimeP4, ErrorReturnCode, INFINITE_TIME_VALUE};
use bulkhead_sdk::process as sdk;

use crate::BulkheadHypervisor;
use crate::convert::{returned, system_time};
use crate::table;

impl ApexTimeP4 for BulkheadHypervisor {
    /// PERIODIC_WAIT: the caller waits for its next release point, a
    /// periodic process's next period (a process created with period 0,
    /// like a thread without `period`, at the start of its partition's
    /// next window). An aperiodic process, the main process and the error
    /// handler get INVALID_MODE, as does a caller holding the preemption
    /// lock.
    fn periodic_wait() -> Result<(), ErrorReturnCode> {
        let index = returned(sdk::my_id())?;
        match table::process(index) {
            Some(p) if p.periodic && !p.error_handler => returned(bulkhead_sdk::periodic_wait()),
            _ => Err(ErrorReturnCode::InvalidMode),
        }
    }

    /// GET_TIME: ns since the module's epoch (INFINITE_TIME_VALUE if the
    /// kernel cannot say: a host build).
    fn get_time() -> ApexSystemTime {
        bulkhead_sdk::time().map_or(INFINITE_TIME_VALUE, |t| system_time(t.now_ns))
    }
}

impl ApexTimeP1 for BulkheadHypervisor {
    /// TIMED_WAIT: at least `delay_time` ns (0 is a yield); negative
    /// (INFINITE) or past the counter's range is INVALID_PARAM; the error
    /// handler and a caller holding the preemption lock get INVALID_MODE.
    fn timed_wait(delay_time: ApexSystemTime) -> Result<(), ErrorReturnCode> {
        if delay_time < 0 {
            return Err(ErrorReturnCode::InvalidParam);
        }
        if crate::process::is_error_handler()? {
            return Err(ErrorReturnCode::InvalidMode);
        }
        returned(bulkhead_sdk::timed_wait(delay_time as u64))
    }

    /// REPLENISH: the caller's deadline becomes now + `budget_time`.
    /// Outside NORMAL, or from the error handler, NO_ACTION; a periodic
    /// process whose new deadline would pass its next release point
    /// INVALID_MODE; a negative (INFINITE) budget, or one past the
    /// counter's range, INVALID_PARAM (the kernel keeps a finite deadline
    /// per release).
    fn replenish(budget_time: ApexSystemTime) -> Result<(), ErrorReturnCode> {
        let (init, _) = crate::partition::initialising().ok_or(ErrorReturnCode::NotAvailable)?;
        if init || crate::process::is_error_handler()? {
            return Err(ErrorReturnCode::NoAction);
        }
        if budget_time < 0 {
            return Err(ErrorReturnCode::InvalidParam);
        }
        returned(sdk::replenish(budget_time as u64)).map(|_| ())
    }
}
