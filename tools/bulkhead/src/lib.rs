//! `bulkhead`: the host tool that turns a system description (TOML) into a
//! bootable system image. `check` validates a description and reports every
//! problem with file, line, objects and numbers; `show` prints (and draws)
//! the schedules and per-core frame tables; `pack` builds the binary image
//! (`bulkhead-image` format) and a report beside it; `trace` decodes the
//! kernel's switch trace from a console log or a capture of the trace port
//! (`trace_port`) and checks it against the plan;
//! `log` decodes the partitions' defmt frames in a console log.
//!
//! Where it sits: `tools/bulkhead`, host only. It shares the image format
//! with the kernel (`kernel/image`) and the scheduling rules (`kernel/sched`),
//! so what it accepts is what the kernel will run.
//!
//! The description format is documented in `tools/bulkhead/README.md`.

pub mod check;
pub mod desc;
pub mod devices;
pub mod diag;
pub mod health;
pub mod heap;
pub mod layout;
pub mod log;
pub mod pack;
pub mod plan;
pub mod regions;
pub mod show;
pub mod svg;
pub mod trace;
pub mod trace_check;
pub mod trace_port;
pub mod trace_svg;
pub mod units;
