//! a653rs `error` traits for [`crate::BulkheadHypervisor`]: ARINC 653
//! Part 1 section 3.8.2 (health monitoring) on the kernel's
//! RaiseApplicationError, CreateErrorHandler and GetErrorStatus.
//!
//! The error handler is a thread of the description like any process:
//! CREATE_ERROR_HANDLER makes the thread named [`ERROR_HANDLER_THREAD`]
//! the partition's handler. The kernel starts it, at priority 255, at the
//! image's entry when another process has an error; the start-up glue
//! ([`crate::entry!`]) runs the entry point given here.

use a653rs::bindings::{
    ApexByte, ApexErrorP1, ApexErrorP4, CORE_AFFINITY_NO_PREFERENCE, ErrorCode, ErrorHandlerConcurrencyControl,
    ErrorReturnCode, ErrorStatus, MAX_ERROR_MESSAGE_SIZE, ProcessorCoreId, StackSize, SystemAddress,
};
use bulkhead_sdk::process as sdk;
use bulkhead_sdk::{MAX_ERROR_MESSAGE, Status};

use crate::BulkheadHypervisor;
use crate::convert::{process_id, return_code, returned};
use crate::table;

/// The name of the thread CREATE_ERROR_HANDLER makes the error handler:
/// declare it in the description (`[[partition.thread]] name =
/// "error_handler"`) with the `stack` the handler needs.
pub const ERROR_HANDLER_THREAD: &str = "error_handler";

/// The code RAISE_APPLICATION_ERROR passes to the kernel (the health
/// monitor's `application error N` in its console line and records): the
/// SDK's own codes are 1..=3, applications' from `0x1000`.
pub const APPLICATION_ERROR_CODE: u64 = 0x1653;

const _: () = assert!(MAX_ERROR_MESSAGE_SIZE == MAX_ERROR_MESSAGE);

/// The ARINC error code of a Bulkhead health event kind
/// (`bulkhead_sdk::abi::error_kind_name`).
pub(crate) fn error_code(kind: u32) -> ErrorCode {
    match kind {
        1 => ErrorCode::MemoryViolation,    // stage2_abort
        2 | 3 => ErrorCode::IllegalRequest, // undefined_instruction, trapped_operation
        4 | 7 => ErrorCode::DeadlineMissed, // deadline_miss, window_overrun
        5 => ErrorCode::ApplicationError,   // application_error
        6 => ErrorCode::StackOverflow,      // stack_overflow
        _ => ErrorCode::HardwareFault,      // missed_boundary (a module event) and any newer kind
    }
}

/// The message of a GET_ERROR_STATUS record: for an application error,
/// the application's own message, out of the kernel's detail text
/// `application error CODE: "MESSAGE"` (the kernel keeps printable ASCII,
/// and the first 128 bytes of the detail, so a long message is cut; the
/// closing quote is then missing); for any other kind, the kernel's
/// detail as it is.
pub(crate) fn error_message(kind: u32, detail: &[u8]) -> &[u8] {
    const APPLICATION_ERROR: u32 = 5;
    if kind != APPLICATION_ERROR {
        return detail;
    }
    let Some(rest) = detail.strip_prefix(b"application error ") else { return detail };
    let Some(open) = rest.windows(3).position(|w| w == b": \"") else { return detail };
    let message = &rest[open + 3..];
    message.strip_suffix(b"\"").unwrap_or(message)
}

/// Where GET_ERROR_STATUS says an error happened when the kernel could
/// not read the failed process's PC (address 0: a `SystemAddress` cannot
/// be null).
extern "C" fn unknown_address() {}

impl ApexErrorP4 for BulkheadHypervisor {
    /// REPORT_APPLICATION_MESSAGE: the message (at most 128 bytes, else
    /// INVALID_PARAM) is written to the module console as one line,
    /// `application message: TEXT`, prefixed with the partition and
    /// process like all its output; no health action follows. Bulkhead's
    /// health log holds the kernel's events only, so the console is the
    /// log this goes to.
    fn report_application_message(message: &[ApexByte]) -> Result<(), ErrorReturnCode> {
        if message.len() > MAX_ERROR_MESSAGE_SIZE {
            return Err(ErrorReturnCode::InvalidParam);
        }
        let mut out = bulkhead_sdk::Console::new();
        out.write_bytes(b"application message: ");
        for &b in message {
            // One console line: a newline inside the message is a space.
            out.write_bytes(&[if b == b'\n' { b' ' } else { b }]);
        }
        out.write_bytes(b"\n");
        returned(out.flush())
    }

    /// RAISE_APPLICATION_ERROR: `error_code` must be APPLICATION_ERROR
    /// and the message at most 128 bytes (else INVALID_PARAM). The error
    /// goes to the partition's error handler if it has one, else the
    /// health table's `application_error` action follows (which may not
    /// return: a restart or stop).
    fn raise_application_error(error_code: ErrorCode, message: &[ApexByte]) -> Result<(), ErrorReturnCode> {
        if error_code != ErrorCode::ApplicationError || message.len() > MAX_ERROR_MESSAGE_SIZE {
            return Err(ErrorReturnCode::InvalidParam);
        }
        returned(bulkhead_sdk::raise_application_error(APPLICATION_ERROR_CODE, message))
    }
}

impl ApexErrorP1 for BulkheadHypervisor {
    /// CREATE_ERROR_HANDLER, during initialisation (else INVALID_MODE): the
    /// thread named [`ERROR_HANDLER_THREAD`] becomes the error handler,
    /// running `entry_point`. No such thread: INVALID_CONFIG; a handler
    /// exists already: NO_ACTION. `stack_size` is not checked (as for
    /// CREATE_PROCESS: the kernel does not report a thread's stack).
    fn create_error_handler(entry_point: SystemAddress, stack_size: StackSize) -> Result<(), ErrorReturnCode> {
        let (init, restarts) = crate::partition::initialising().ok_or(ErrorReturnCode::NotAvailable)?;
        if !init {
            return Err(ErrorReturnCode::InvalidMode);
        }
        table::begin(restarts);
        let Ok(index) = sdk::process_id(ERROR_HANDLER_THREAD) else {
            bulkhead_sdk::println!(
                "a653rs-bulkhead: CREATE_ERROR_HANDLER: no thread named {ERROR_HANDLER_THREAD} in the description (InvalidConfig)"
            );
            return Err(ErrorReturnCode::InvalidConfig);
        };
        if table::error_handler().is_some() {
            return Err(ErrorReturnCode::NoAction);
        }
        sdk::create_error_handler(index).map_err(|s| match s {
            // The thread is not dormant: it is the main process, or a
            // process created of it.
            Status::InvalidMode => ErrorReturnCode::InvalidConfig,
            other => return_code(other),
        })?;
        table::record_error_handler(index, entry_point, stack_size);
        Ok(())
    }

    /// GET_ERROR_STATUS, for the error handler only (else INVALID_CONFIG):
    /// the oldest error queued for it, NO_ACTION when there is none. The
    /// error code is the health event's kind: `stage2_abort`
    /// MEMORY_VIOLATION, `undefined_instruction` and `trapped_operation`
    /// ILLEGAL_REQUEST, `deadline_miss` and `window_overrun`
    /// DEADLINE_MISSED, `application_error` APPLICATION_ERROR,
    /// `stack_overflow` STACK_OVERFLOW; the message is the application's
    /// for an application error ([`error_message`]), else the kernel's
    /// detail text.
    fn get_error_status() -> Result<ErrorStatus, ErrorReturnCode> {
        let (record, _left) = sdk::get_error_status().map_err(|s| match s {
            Status::InvalidMode => ErrorReturnCode::InvalidConfig,
            other => return_code(other),
        })?;
        let failed_address = if record.address == 0 {
            unknown_address as SystemAddress
        } else {
            // SAFETY: a function pointer's one validity requirement is
            // that it is not null, which `address` is not; it is only
            // reported (ARINC's FAILED_ADDRESS), never called by the
            // backend. Pointers are 64 bits wide on this target.
            unsafe { core::mem::transmute::<usize, SystemAddress>(record.address as usize) }
        };
        let mut message = [0u8; MAX_ERROR_MESSAGE_SIZE];
        let text = error_message(record.kind, record.message());
        message[..text.len()].copy_from_slice(text);
        Ok(ErrorStatus {
            failed_address,
            failed_process_id: process_id(record.process),
            error_code: error_code(record.kind),
            length: text.len() as i32,
            message,
        })
    }

    /// CONFIGURE_ERROR_HANDLER, during initialisation (else INVALID_MODE)
    /// with an error handler created (else INVALID_CONFIG). Bulkhead's
    /// other processes go on while the handler runs (it preempts its own
    /// core only, at priority 255): PROCESSES_SCHEDULED is accepted,
    /// PROCESSES_PAUSE is INVALID_CONFIG; the core must be the handler
    /// thread's in the description, or no preference (else INVALID_CONFIG).
    fn configure_error_handler(
        concurrency_control: ErrorHandlerConcurrencyControl,
        processor_core_id: ProcessorCoreId,
    ) -> Result<(), ErrorReturnCode> {
        let (init, _) = crate::partition::initialising().ok_or(ErrorReturnCode::NotAvailable)?;
        if !init {
            return Err(ErrorReturnCode::InvalidMode);
        }
        let index = table::error_handler().ok_or(ErrorReturnCode::InvalidConfig)?;
        if concurrency_control != ErrorHandlerConcurrencyControl::ProcessesScheduled {
            return Err(ErrorReturnCode::InvalidConfig);
        }
        let core = returned(sdk::process_status(index))?.core;
        if processor_core_id != CORE_AFFINITY_NO_PREFERENCE && processor_core_id != core as ProcessorCoreId {
            return Err(ErrorReturnCode::InvalidConfig);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_kinds_have_arinc_error_codes() {
        let named = |kind| (bulkhead_sdk::abi::error_kind_name(kind), error_code(kind));
        assert_eq!(named(1), ("stage2_abort", ErrorCode::MemoryViolation));
        assert_eq!(named(2), ("undefined_instruction", ErrorCode::IllegalRequest));
        assert_eq!(named(3), ("trapped_operation", ErrorCode::IllegalRequest));
        assert_eq!(named(4), ("deadline_miss", ErrorCode::DeadlineMissed));
        assert_eq!(named(5), ("application_error", ErrorCode::ApplicationError));
        assert_eq!(named(6), ("stack_overflow", ErrorCode::StackOverflow));
        assert_eq!(named(7), ("window_overrun", ErrorCode::DeadlineMissed));
        assert_eq!(named(8), ("missed_boundary", ErrorCode::HardwareFault));
        assert_eq!(error_code(99), ErrorCode::HardwareFault);
    }

    #[test]
    fn an_application_errors_message_is_the_applications() {
        assert_eq!(error_message(5, b"application error 5715: \"worker: deliberate\""), b"worker: deliberate");
        assert_eq!(error_message(5, b"application error 1: \"say \"hi\"\""), b"say \"hi\"");
        // Cut by the kernel's 128 bytes: no closing quote.
        assert_eq!(error_message(5, b"application error 7: \"long"), b"long");
        assert_eq!(error_message(5, b"something else"), b"something else");
        let fault = b"write to read-only IPA 0x40001000";
        assert_eq!(error_message(1, fault), fault);
    }

    #[test]
    fn raise_checks_its_arguments_before_the_kernel() {
        assert_eq!(
            BulkheadHypervisor::raise_application_error(ErrorCode::DeadlineMissed, b"x"),
            Err(ErrorReturnCode::InvalidParam)
        );
        assert_eq!(
            BulkheadHypervisor::raise_application_error(ErrorCode::ApplicationError, &[b'x'; 129]),
            Err(ErrorReturnCode::InvalidParam)
        );
        // On the host there is no kernel.
        assert_eq!(
            BulkheadHypervisor::raise_application_error(ErrorCode::ApplicationError, b"x"),
            Err(ErrorReturnCode::NotAvailable)
        );
        assert_eq!(BulkheadHypervisor::report_application_message(&[0; 129]), Err(ErrorReturnCode::InvalidParam));
    }
}
