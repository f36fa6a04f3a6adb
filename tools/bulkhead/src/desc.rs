//! The system description as written: a walk over the TOML document (with
//! byte spans, `toml::de::DeTable`) into plain structs whose every value
//! remembers where it came from.
//!
//! This layer checks what a single value can tell: the key is known (every
//! table denies unknown fields), the type is right, a duration or size has a
//! unit, an enumeration value is one of its names, a required key is there.
//! It never stops at the first problem: a bad value becomes `None` plus a
//! diagnostic, and the walk goes on, so `check` reports everything in one
//! run. Relations between objects are `check.rs`'s job.
//!
//! The format itself is documented in `tools/bulkhead/README.md`.

use std::ops::Range;

use bulkhead_image::{ErrorKind, HealthAction, OutsideWindow, RegionAccess};
use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diag::{Diagnostics, closest, error};
use crate::units::{UnitError, parse_duration, parse_size};

/// A value and the bytes of the description it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S<T> {
    /// The value.
    pub value: T,
    /// Its bytes in the source.
    pub span: Range<usize>,
}

/// Channel (and port) kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Sampling.
    Sampling,
    /// Queuing.
    Queuing,
}

impl Kind {
    /// The description's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sampling => "sampling",
            Kind::Queuing => "queuing",
        }
    }
}

/// Port directions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The partition writes.
    Source,
    /// The partition reads.
    Destination,
}

impl Direction {
    /// The description's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Source => "source",
            Direction::Destination => "destination",
        }
    }
}

/// `[module]`.
#[derive(Clone, Debug, Default)]
pub struct ModuleDesc {
    /// Span of the table.
    pub span: Range<usize>,
    /// `name`.
    pub name: Option<S<String>>,
    /// `board`.
    pub board: Option<S<String>>,
    /// `cores`.
    pub cores: Option<S<i64>>,
    /// `console_baud`: the console's speed.
    pub console_baud: Option<S<i64>>,
}

/// `[[partition.thread]]`.
#[derive(Clone, Debug, Default)]
pub struct ThreadDesc {
    /// Span of the table.
    pub span: Range<usize>,
    /// `name`.
    pub name: Option<S<String>>,
    /// `core` or `cores`, as a list of core numbers (span of the key's value).
    pub cores: Option<S<Vec<S<i64>>>>,
    /// `priority`.
    pub priority: Option<S<i64>>,
    /// `period`, ns.
    pub period: Option<S<u64>>,
    /// `deadline`, ns.
    pub deadline: Option<S<u64>>,
    /// `stack`, bytes.
    pub stack: Option<S<u64>>,
}

/// `[[partition.port]]`.
#[derive(Clone, Debug, Default)]
pub struct PortDesc {
    /// Span of the table.
    pub span: Range<usize>,
    /// `name`.
    pub name: Option<S<String>>,
    /// `direction`.
    pub direction: Option<S<Direction>>,
    /// `kind`.
    pub kind: Option<S<Kind>>,
    /// `message_size`, bytes.
    pub message_size: Option<S<u64>>,
}

/// `[[partition.memory_region]]`: a partition's use of a shared region.
#[derive(Clone, Debug, Default)]
pub struct RegionUseDesc {
    /// Span of the table.
    pub span: Range<usize>,
    /// `name`: the `[[memory_region]]` it maps.
    pub name: Option<S<String>>,
    /// `access`.
    pub access: Option<S<RegionAccess>>,
}

/// `[[memory_region]]`: shared memory mapped into the partitions that list it.
#[derive(Clone, Debug, Default)]
pub struct RegionDesc {
    /// Span of the table.
    pub span: Range<usize>,
    /// `name`.
    pub name: Option<S<String>>,
    /// `size`, bytes.
    pub size: Option<S<u64>>,
    /// `ipa`: pinned IPA in every partition that maps it, normally left to the tool.
    pub ipa: Option<S<i64>>,
    /// `base`: pinned physical base, normally left to the tool.
    pub base: Option<S<i64>>,
}

/// One `mmio` range of a `[[partition.device]]`: `{ base = 0x..., size = "4KiB" }`.
#[derive(Clone, Debug, Default)]
pub struct MmioDesc {
    /// Span of the inline table.
    pub span: Range<usize>,
    /// `base`: physical address, also the IPA (devices are mapped identity).
    pub base: Option<S<i64>>,
    /// `size`, bytes.
    pub size: Option<S<u64>>,
}

/// `[[partition.device]]`: a board device the partition owns.
#[derive(Clone, Debug, Default)]
pub struct DeviceDesc {
    /// Span of the table.
    pub span: Range<usize>,
    /// `name`: the board's name of the device.
    pub name: Option<S<String>>,
    /// `thread`: the partition's thread that receives its interrupts
    /// (default: its first).
    pub thread: Option<S<String>>,
    /// `outside_window`: what becomes of an interrupt outside the
    /// partition's windows (default: deliver).
    pub outside_window: Option<S<OutsideWindow>>,
    /// `mmio`: the ranges mapped (default: all of the device's); span of the array.
    pub mmio: Option<S<Vec<MmioDesc>>>,
    /// `interrupts`: the INTIDs taken (default: all of the device's); span of the array.
    pub interrupts: Option<S<Vec<S<i64>>>>,
}

/// `[[partition]]`.
#[derive(Clone, Debug, Default)]
pub struct PartitionDesc {
    /// Span of the table.
    pub span: Range<usize>,
    /// `name`.
    pub name: Option<S<String>>,
    /// `memory`, bytes.
    pub memory: Option<S<u64>>,
    /// `image`: crate under `partitions/` or path to an ELF.
    pub image: Option<S<String>>,
    /// `system`.
    pub system: Option<S<bool>>,
    /// `allow_write_execute`: pages of its memory may be writable and
    /// executable at once (W^X off for it).
    pub allow_write_execute: Option<S<bool>>,
    /// `initialization`: the partition starts in COLD_START, only its first
    /// thread runs, and it enters NORMAL itself (SetPartitionMode).
    pub initialization: Option<S<bool>>,
    /// `base`: pinned physical base, normally left to the tool.
    pub base: Option<S<i64>>,
    /// `console_buffer`, bytes: the partition's share of the console.
    pub console_buffer: Option<S<u64>>,
    /// `heap`, bytes: memory for the SDK's allocator (feature `alloc`),
    /// carved from the partition's memory below its stacks; absent or 0
    /// for none.
    pub heap: Option<S<u64>>,
    /// Threads.
    pub threads: Vec<ThreadDesc>,
    /// Ports.
    pub ports: Vec<PortDesc>,
    /// The shared memory regions it maps.
    pub regions: Vec<RegionUseDesc>,
    /// The board devices it owns.
    pub devices: Vec<DeviceDesc>,
    /// `[partition.health]` entries, in order: they override the module's
    /// `[health]` for this partition's errors.
    pub health: Vec<HealthDesc>,
}

/// One entry of a health table: `error_kind = "action"`, or, for an action
/// that names a schedule, an inline table
/// `error_kind = { action = "switch_schedule", schedule = "degraded" }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthDesc {
    /// The error kind (the key).
    pub kind: S<ErrorKind>,
    /// The action.
    pub action: S<HealthAction>,
    /// `schedule` of the inline table: the schedule `switch_schedule`
    /// switches to (present exactly when the action is `switch_schedule`).
    pub schedule: Option<S<String>>,
}

/// `[[schedule.window]]`.
#[derive(Clone, Debug, Default)]
pub struct WindowDesc {
    /// Span of the table.
    pub span: Range<usize>,
    /// `partition`.
    pub partition: Option<S<String>>,
    /// `spare`.
    pub spare: Option<S<bool>>,
    /// `duration`, ns.
    pub duration: Option<S<u64>>,
}

/// `[[schedule]]`.
#[derive(Clone, Debug, Default)]
pub struct ScheduleDesc {
    /// Span of the table.
    pub span: Range<usize>,
    /// `name`.
    pub name: Option<S<String>>,
    /// `major_frame`, ns.
    pub major_frame: Option<S<u64>>,
    /// `initial`.
    pub initial: Option<S<bool>>,
    /// Windows.
    pub windows: Vec<WindowDesc>,
}

/// `[[channel]]`.
#[derive(Clone, Debug, Default)]
pub struct ChannelDesc {
    /// Span of the table.
    pub span: Range<usize>,
    /// `name`.
    pub name: Option<S<String>>,
    /// `kind`.
    pub kind: Option<S<Kind>>,
    /// `message_size`, bytes.
    pub message_size: Option<S<u64>>,
    /// `refresh_period`, ns (sampling).
    pub refresh_period: Option<S<u64>>,
    /// `depth` (queuing).
    pub depth: Option<S<i64>>,
    /// `source`, `"partition.port"`.
    pub source: Option<S<String>>,
    /// `destinations`.
    pub destinations: Vec<S<String>>,
}

/// The whole description.
#[derive(Clone, Debug, Default)]
pub struct Description {
    /// `[module]`, if present.
    pub module: Option<ModuleDesc>,
    /// `[[partition]]`s in order.
    pub partitions: Vec<PartitionDesc>,
    /// `[[schedule]]`s in order.
    pub schedules: Vec<ScheduleDesc>,
    /// `[[channel]]`s in order.
    pub channels: Vec<ChannelDesc>,
    /// `[[memory_region]]`s in order.
    pub regions: Vec<RegionDesc>,
    /// `[health]` entries, in order: the module's defaults, for every
    /// partition's errors its own `[partition.health]` does not cover.
    pub health: Vec<HealthDesc>,
    /// Span of `[health]`, if present.
    pub health_span: Option<Range<usize>>,
    /// TOML syntax errors reported (the rest of the description is partial).
    pub syntax_errors: usize,
}

type Value<'i> = Spanned<DeValue<'i>>;

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// One TOML table being read: records which keys were used so the rest can
/// be reported as unknown.
struct Obj<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    /// How messages name the object: `partition "hello"`, `[module]`.
    label: String,
}

impl<'a, 'i> Obj<'a, 'i> {
    fn new(
        table: &'a DeTable<'i>,
        span: Range<usize>,
        header: &str,
        allowed: &[&str],
        diags: &mut Diagnostics,
    ) -> Self {
        // Deny unknown fields up front, each with its own location, so a
        // typo never silently drops a setting.
        for (key, _) in table.iter() {
            let key_str: &str = key.get_ref();
            if !allowed.contains(&key_str) {
                let mut d = error(key.span(), format!("unknown field `{key_str}` in {header}"));
                d = match closest(key_str, allowed.iter().copied()) {
                    Some(c) => d.hint(format!("did you mean `{c}`? {header} takes: {}", allowed.join(", "))),
                    None => d.hint(format!("{header} takes: {}", allowed.join(", "))),
                };
                diags.push(d);
            }
        }
        let label = match table.get("name").and_then(|v| v.get_ref().as_str()) {
            Some(name) => format!("{} \"{name}\"", header.trim_matches(['[', ']'])),
            None => header.to_string(),
        };
        Obj { table, span, label }
    }

    fn get(&self, key: &str) -> Option<&'a Value<'i>> {
        self.table.get(key)
    }

    fn missing(&self, key: &str, example: &str, diags: &mut Diagnostics) {
        diags.push(
            error(self.span.clone(), format!("{} has no `{key}`", self.label)).hint(format!("add `{key} = {example}`")),
        );
    }

    fn wrong_type(&self, key: &str, v: &Value<'_>, want: &str, diags: &mut Diagnostics) {
        diags.push(error(
            v.span(),
            format!("`{key}` of {} must be {want}, found {}", self.label, type_name(v.get_ref())),
        ));
    }

    fn string(&self, key: &str, diags: &mut Diagnostics) -> Option<S<String>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(S { value: s.to_string(), span: v.span() }),
            _ => {
                self.wrong_type(key, v, "a string", diags);
                None
            }
        }
    }

    fn req_string(&self, key: &str, example: &str, diags: &mut Diagnostics) -> Option<S<String>> {
        if self.get(key).is_none() {
            self.missing(key, example, diags);
        }
        self.string(key, diags)
    }

    fn boolean(&self, key: &str, diags: &mut Diagnostics) -> Option<S<bool>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(S { value: *b, span: v.span() }),
            _ => {
                self.wrong_type(key, v, "true or false", diags);
                None
            }
        }
    }

    fn integer(&self, key: &str, diags: &mut Diagnostics) -> Option<S<i64>> {
        let v = self.get(key)?;
        integer_value(v).or_else(|| {
            self.wrong_type(key, v, "an integer", diags);
            None
        })
    }

    fn quantity(
        &self,
        key: &str,
        diags: &mut Diagnostics,
        parse: fn(&str) -> Result<u64, UnitError>,
        bare_hint: fn(&str, u64) -> String,
    ) -> Option<S<u64>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => match parse(s) {
                Ok(value) => Some(S { value, span: v.span() }),
                Err(e) => {
                    diags.push(error(v.span(), format!("`{key}` of {}: {}", self.label, e.message)).hint(e.hint));
                    None
                }
            },
            DeValue::Integer(i) => {
                let n = integer_value(v).map_or(0, |n| n.value.max(0) as u64);
                diags.push(
                    error(
                        v.span(),
                        format!("`{key}` of {} is a bare number ({}) without a unit", self.label, i.as_str()),
                    )
                    .hint(bare_hint(key, n)),
                );
                None
            }
            _ => {
                self.wrong_type(key, v, "a string with a unit", diags);
                None
            }
        }
    }

    fn duration(&self, key: &str, diags: &mut Diagnostics) -> Option<S<u64>> {
        self.quantity(key, diags, parse_duration, |key, n| {
            format!("write it as a string with a unit: {key} = \"{n}ms\" or \"{n}us\" (units: ns, us, ms, s)")
        })
    }

    fn size(&self, key: &str, diags: &mut Diagnostics) -> Option<S<u64>> {
        self.quantity(key, diags, parse_size, |key, n| {
            format!(
                "write it as a string with a unit: {key} = \"{}\" if {n} is bytes (units: B, KiB, MiB, GiB)",
                crate::units::fmt_size(n)
            )
        })
    }

    /// An array of integers under `key` (`cores`, `interrupts`), with the
    /// span of the array; `what` names the items in messages.
    fn integers(&self, key: &str, what: &str, diags: &mut Diagnostics) -> Option<S<Vec<S<i64>>>> {
        let v = self.get(key)?;
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(key, v, &format!("an array of {what}"), diags);
            return None;
        };
        let mut values = Vec::new();
        for item in items {
            match integer_value(item) {
                Some(n) => values.push(n),
                None => diags.push(error(
                    item.span(),
                    format!("`{key}` of {} must hold {what}, found {}", self.label, type_name(item.get_ref())),
                )),
            }
        }
        Some(S { value: values, span: v.span() })
    }

    fn choice<T: Copy>(&self, key: &str, choices: &[(&str, T)], diags: &mut Diagnostics) -> Option<S<T>> {
        let s = self.string(key, diags)?;
        match choices.iter().find(|c| c.0 == s.value) {
            Some(&(_, value)) => Some(S { value, span: s.span }),
            None => {
                let names: Vec<&str> = choices.iter().map(|c| c.0).collect();
                diags.push(
                    error(
                        s.span.clone(),
                        format!("`{key}` of {} is \"{}\", not one of: {}", self.label, s.value, names.join(", ")),
                    )
                    .hint(match closest(&s.value, names.iter().copied()) {
                        Some(c) => format!("did you mean \"{c}\"?"),
                        None => format!("write one of: {}", names.join(", ")),
                    }),
                );
                None
            }
        }
    }

    /// An array of tables under `key` (`[[partition.thread]]`), each with its span.
    fn tables(&self, key: &str, diags: &mut Diagnostics) -> Vec<(&'a DeTable<'i>, Range<usize>)> {
        tables_of(self.get(key), key, diags)
    }
}

fn integer_value(v: &Value<'_>) -> Option<S<i64>> {
    match v.get_ref() {
        DeValue::Integer(i) => {
            i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok().map(|value| S { value, span: v.span() })
        }
        _ => None,
    }
}

fn tables_of<'a, 'i>(
    v: Option<&'a Value<'i>>,
    key: &str,
    diags: &mut Diagnostics,
) -> Vec<(&'a DeTable<'i>, Range<usize>)> {
    let Some(v) = v else { return Vec::new() };
    match v.get_ref() {
        DeValue::Array(items) => items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::Table(t) => Some((t, item.span())),
                other => {
                    diags.push(error(
                        item.span(),
                        format!("`{key}` entries must be tables, found {}", type_name(other)),
                    ));
                    None
                }
            })
            .collect(),
        DeValue::Table(t) => {
            diags.push(
                error(v.span(), format!("`{key}` must be an array of tables"))
                    .hint(format!("write [[{key}]] (double brackets), one per entry")),
            );
            vec![(t, v.span())]
        }
        other => {
            diags.push(error(v.span(), format!("`{key}` must be an array of tables, found {}", type_name(other))));
            Vec::new()
        }
    }
}

const TOP: &[&str] = &["module", "partition", "schedule", "channel", "memory_region", "health"];
const MODULE: &[&str] = &["name", "board", "cores", "console_baud"];
const PARTITION: &[&str] = &[
    "name",
    "memory",
    "image",
    "system",
    "allow_write_execute",
    "initialization",
    "base",
    "console_buffer",
    "heap",
    "thread",
    "port",
    "memory_region",
    "device",
    "health",
];
const DEVICE: &[&str] = &["name", "thread", "outside_window", "mmio", "interrupts"];
const MMIO: &[&str] = &["base", "size"];
const OUTSIDE_WINDOW: &[(&str, OutsideWindow)] = &[("deliver", OutsideWindow::Deliver), ("drop", OutsideWindow::Drop)];
const THREAD: &[&str] = &["name", "core", "cores", "priority", "period", "deadline", "stack"];
const PORT: &[&str] = &["name", "direction", "kind", "message_size"];
const SCHEDULE: &[&str] = &["name", "major_frame", "initial", "window"];
const WINDOW: &[&str] = &["partition", "spare", "duration"];
const CHANNEL: &[&str] = &["name", "kind", "message_size", "refresh_period", "depth", "source", "destinations"];
const REGION: &[&str] = &["name", "size", "ipa", "base"];
const REGION_USE: &[&str] = &["name", "access"];
const ACCESSES: &[(&str, RegionAccess)] =
    &[("read_only", RegionAccess::ReadOnly), ("read_write", RegionAccess::ReadWrite)];
const KINDS: &[(&str, Kind)] = &[("sampling", Kind::Sampling), ("queuing", Kind::Queuing)];
const DIRECTIONS: &[(&str, Direction)] = &[("source", Direction::Source), ("destination", Direction::Destination)];

/// Read a description. TOML syntax errors are reported (every one the
/// parser recovers from) and reading goes on with what could be parsed.
pub fn read(source: &str, diags: &mut Diagnostics) -> Description {
    let (doc, errors) = DeTable::parse_recoverable(source);
    for e in &errors {
        let span = e.span().unwrap_or(0..0);
        diags.push(
            error(span, format!("TOML syntax: {}", e.message().trim_end())).hint("see https://toml.io for the syntax"),
        );
    }
    if !errors.is_empty() {
        // What the parser recovered is partial; reading it would report
        // missing keys that are only hidden by the syntax error.
        return Description { syntax_errors: errors.len(), ..Description::default() };
    }
    let doc_span = doc.span();
    let top = Obj::new(doc.get_ref(), doc_span.clone(), "the description", TOP, diags);
    let mut desc = Description { syntax_errors: errors.len(), ..Description::default() };

    match top.get("module") {
        Some(v) => match v.get_ref() {
            DeValue::Table(t) => {
                let m = Obj::new(t, v.span(), "[module]", MODULE, diags);
                desc.module = Some(ModuleDesc {
                    span: v.span(),
                    name: m.req_string("name", "\"demo\"", diags),
                    board: m.req_string("board", "\"rpi4\"", diags),
                    cores: {
                        if m.get("cores").is_none() {
                            m.missing("cores", "4", diags);
                        }
                        m.integer("cores", diags)
                    },
                    console_baud: m.integer("console_baud", diags),
                });
            }
            other => diags.push(error(v.span(), format!("`module` must be a table, found {}", type_name(other)))),
        },
        None => diags.push(
            error(0..0, "the description has no [module]")
                .hint("add [module] with name, board = \"rpi4\" and cores = 4"),
        ),
    }

    for (t, span) in top.tables("partition", diags) {
        let p = Obj::new(t, span.clone(), "[[partition]]", PARTITION, diags);
        let mut part = PartitionDesc {
            span,
            name: p.req_string("name", "\"hello\"", diags),
            memory: {
                if p.get("memory").is_none() {
                    p.missing("memory", "\"4MiB\"", diags);
                }
                p.size("memory", diags)
            },
            image: p.req_string("image", "\"<crate under partitions/>\"", diags),
            system: p.boolean("system", diags),
            allow_write_execute: p.boolean("allow_write_execute", diags),
            initialization: p.boolean("initialization", diags),
            base: p.integer("base", diags),
            console_buffer: p.size("console_buffer", diags),
            heap: p.size("heap", diags),
            threads: Vec::new(),
            ports: Vec::new(),
            regions: Vec::new(),
            devices: Vec::new(),
            health: Vec::new(),
        };
        if let Some(v) = p.get("health") {
            let table = match &part.name {
                Some(n) => format!("[health] of partition \"{}\"", n.value),
                None => "[partition.health]".to_string(),
            };
            match v.get_ref() {
                DeValue::Table(t) => part.health = read_health(t, &table, diags),
                other => {
                    diags.push(error(v.span(), format!("{table} must be a table, found {}", type_name(other))).hint(
                        "write [partition.health] after the partition's keys, then `error_kind = \"action\"` lines",
                    ))
                }
            }
        }
        for (t, span) in p.tables("thread", diags) {
            let mut th = Obj::new(t, span.clone(), "[[partition.thread]]", THREAD, diags);
            th.label = member_label("thread", &part.name, t);
            let cores = read_cores(&th, diags);
            part.threads.push(ThreadDesc {
                span,
                name: th.req_string("name", "\"main\"", diags),
                cores,
                priority: th.integer("priority", diags),
                period: th.duration("period", diags),
                deadline: th.duration("deadline", diags),
                stack: th.size("stack", diags),
            });
        }
        for (t, span) in p.tables("port", diags) {
            let mut po = Obj::new(t, span.clone(), "[[partition.port]]", PORT, diags);
            po.label = member_label("port", &part.name, t);
            if po.get("direction").is_none() {
                po.missing("direction", "\"source\"", diags);
            }
            if po.get("kind").is_none() {
                po.missing("kind", "\"sampling\"", diags);
            }
            if po.get("message_size").is_none() {
                po.missing("message_size", "\"64B\"", diags);
            }
            part.ports.push(PortDesc {
                span,
                name: po.req_string("name", "\"out\"", diags),
                direction: po.choice("direction", DIRECTIONS, diags),
                kind: po.choice("kind", KINDS, diags),
                message_size: po.size("message_size", diags),
            });
        }
        for (t, span) in p.tables("memory_region", diags) {
            let mut r = Obj::new(t, span.clone(), "[[partition.memory_region]]", REGION_USE, diags);
            r.label = member_label("memory region", &part.name, t);
            if r.get("access").is_none() {
                r.missing("access", "\"read_only\"` or `access = \"read_write\"", diags);
            }
            part.regions.push(RegionUseDesc {
                span,
                name: r.req_string("name", "\"telemetry\"", diags),
                access: r.choice("access", ACCESSES, diags),
            });
        }
        for (t, span) in p.tables("device", diags) {
            let device = read_device(t, span, &part.name, diags);
            part.devices.push(device);
        }
        desc.partitions.push(part);
    }

    for (t, span) in top.tables("schedule", diags) {
        let s = Obj::new(t, span.clone(), "[[schedule]]", SCHEDULE, diags);
        if s.get("major_frame").is_none() {
            s.missing("major_frame", "\"20ms\"", diags);
        }
        let mut sched = ScheduleDesc {
            span,
            name: s.req_string("name", "\"main\"", diags),
            major_frame: s.duration("major_frame", diags),
            initial: s.boolean("initial", diags),
            windows: Vec::new(),
        };
        for (t, span) in s.tables("window", diags) {
            let mut w = Obj::new(t, span.clone(), "[[schedule.window]]", WINDOW, diags);
            if let Some(name) = &sched.name {
                w.label = format!("a window of schedule \"{}\"", name.value);
            }
            if w.get("duration").is_none() {
                w.missing("duration", "\"5ms\"", diags);
            }
            sched.windows.push(WindowDesc {
                span,
                partition: w.string("partition", diags),
                spare: w.boolean("spare", diags),
                duration: w.duration("duration", diags),
            });
        }
        desc.schedules.push(sched);
    }

    for (t, span) in top.tables("channel", diags) {
        let c = Obj::new(t, span.clone(), "[[channel]]", CHANNEL, diags);
        if c.get("kind").is_none() {
            c.missing("kind", "\"sampling\"", diags);
        }
        if c.get("message_size").is_none() {
            c.missing("message_size", "\"64B\"", diags);
        }
        let mut destinations = Vec::new();
        match c.get("destinations") {
            None => c.missing("destinations", "[\"partition.port\"]", diags),
            Some(v) => match v.get_ref() {
                DeValue::Array(items) => {
                    for item in items {
                        match item.get_ref() {
                            DeValue::String(s) => destinations.push(S { value: s.to_string(), span: item.span() }),
                            other => diags.push(error(
                                item.span(),
                                format!(
                                    "destinations of {} must be \"partition.port\" strings, found {}",
                                    c.label,
                                    type_name(other)
                                ),
                            )),
                        }
                    }
                }
                _ => c.wrong_type("destinations", v, "an array of \"partition.port\" strings", diags),
            },
        }
        desc.channels.push(ChannelDesc {
            span,
            name: c.req_string("name", "\"temps\"", diags),
            kind: c.choice("kind", KINDS, diags),
            message_size: c.size("message_size", diags),
            refresh_period: c.duration("refresh_period", diags),
            depth: c.integer("depth", diags),
            source: c.req_string("source", "\"partition.port\"", diags),
            destinations,
        });
    }

    for (t, span) in top.tables("memory_region", diags) {
        let r = Obj::new(t, span.clone(), "[[memory_region]]", REGION, diags);
        if r.get("size").is_none() {
            r.missing("size", "\"64KiB\"", diags);
        }
        desc.regions.push(RegionDesc {
            span,
            name: r.req_string("name", "\"telemetry\"", diags),
            size: r.size("size", diags),
            ipa: r.integer("ipa", diags),
            base: r.integer("base", diags),
        });
    }

    if let Some(v) = top.get("health") {
        match v.get_ref() {
            DeValue::Table(t) => {
                desc.health_span = Some(v.span());
                desc.health = read_health(t, "[health]", diags);
            }
            other => diags.push(error(v.span(), format!("`health` must be a table, found {}", type_name(other)))),
        }
    }
    desc
}

/// One `[[partition.device]]` of partition `partition`.
fn read_device(
    t: &DeTable<'_>,
    span: Range<usize>,
    partition: &Option<S<String>>,
    diags: &mut Diagnostics,
) -> DeviceDesc {
    let mut d = Obj::new(t, span.clone(), "[[partition.device]]", DEVICE, diags);
    d.label = member_label("device", partition, t);
    let mmio = d.get("mmio").map(|v| {
        let ranges = tables_of(Some(v), "mmio", diags)
            .into_iter()
            .map(|(t, span)| {
                let mut r = Obj::new(t, span.clone(), "an mmio range", MMIO, diags);
                r.label = format!("an mmio range of {}", d.label);
                if r.get("base").is_none() {
                    r.missing("base", "0xfe215000", diags);
                }
                if r.get("size").is_none() {
                    r.missing("size", "\"4KiB\"", diags);
                }
                MmioDesc { span, base: r.integer("base", diags), size: r.size("size", diags) }
            })
            .collect();
        S { value: ranges, span: v.span() }
    });
    DeviceDesc {
        span,
        name: d.req_string("name", "\"mini-uart\"", diags),
        thread: d.string("thread", diags),
        outside_window: d.choice("outside_window", OUTSIDE_WINDOW, diags),
        mmio,
        interrupts: d.integers("interrupts", "interrupt numbers", diags),
    }
}

/// `thread "hello.main"`: members of a partition are named through it.
fn member_label(what: &str, partition: &Option<S<String>>, t: &DeTable<'_>) -> String {
    let member = t.get("name").and_then(|v| v.get_ref().as_str());
    match (partition, member) {
        (Some(p), Some(m)) => format!("{what} \"{}.{m}\"", p.value),
        (None, Some(m)) => format!("{what} \"{m}\""),
        (Some(p), None) => format!("a {what} of partition \"{}\"", p.value),
        (None, None) => format!("[[partition.{}]]", what.replace(' ', "_")),
    }
}

fn read_cores(th: &Obj<'_, '_>, diags: &mut Diagnostics) -> Option<S<Vec<S<i64>>>> {
    match (th.get("core"), th.get("cores")) {
        (Some(one), Some(many)) => {
            diags.push(
                error(many.span(), format!("{} has both `core` and `cores`", th.label))
                    .note(one.span(), "`core` is here")
                    .hint("keep one: `core = 0` for one core, `cores = [0, 1]` for a set"),
            );
            None
        }
        (Some(_), None) => th.integer("core", diags).map(|c| S { span: c.span.clone(), value: vec![c] }),
        (None, Some(_)) => th.integers("cores", "core numbers", diags),
        (None, None) => {
            th.missing("core", "0` (or `cores = [0, 1]", diags);
            None
        }
    }
}

/// The entries of a health table, `[health]` or a partition's
/// `[partition.health]` (`table` names it in messages).
fn read_health(t: &DeTable<'_>, table: &str, diags: &mut Diagnostics) -> Vec<HealthDesc> {
    let kinds: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    let actions: Vec<&str> = HealthAction::ALL.iter().map(|a| a.as_str()).collect();
    let switch_hint = |key: &str| {
        format!(
            "name the schedule in an inline table: `{key} = {{ action = \"switch_schedule\", schedule = \"NAME\" }}`"
        )
    };
    let mut entries = Vec::new();
    for (key, v) in t.iter() {
        let key_str: &str = key.get_ref();
        let Some(kind) = ErrorKind::from_name(key_str) else {
            let d = error(key.span(), format!("unknown error kind `{key_str}` in {table}"));
            diags.push(match closest(key_str, kinds.iter().copied()) {
                Some(c) => d.hint(format!("did you mean `{c}`? error kinds: {}", kinds.join(", "))),
                None => d.hint(format!("error kinds: {}", kinds.join(", "))),
            });
            continue;
        };
        // A plain action name, or an inline table with `action` and (for
        // switch_schedule) `schedule`.
        let (action_value, schedule) = match v.get_ref() {
            DeValue::Table(inline) => {
                let mut bad = false;
                for (k, _) in inline.iter() {
                    if !matches!(k.get_ref().as_ref(), "action" | "schedule") {
                        diags.push(
                            error(k.span(), format!("{table} `{key_str}`: unknown key `{}`", k.get_ref()))
                                .hint("an inline health entry holds `action` and, for switch_schedule, `schedule`"),
                        );
                        bad = true;
                    }
                }
                let Some(action) = inline.get("action") else {
                    diags.push(
                        error(v.span(), format!("{table} `{key_str}`: the inline table has no `action`"))
                            .hint(format!("write `{key_str} = \"ACTION\"`; an inline table is for switch_schedule: `{key_str} = {{ action = \"switch_schedule\", schedule = \"NAME\" }}`")),
                    );
                    continue;
                };
                let schedule = match inline.get("schedule") {
                    None => None,
                    Some(s) => match s.get_ref().as_str() {
                        Some(name) => Some(S { value: name.to_string(), span: s.span() }),
                        None => {
                            diags.push(error(
                                s.span(),
                                format!(
                                    "{table} `{key_str}`: `schedule` must be a schedule's name, found {}",
                                    type_name(s.get_ref())
                                ),
                            ));
                            bad = true;
                            None
                        }
                    },
                };
                if bad {
                    continue;
                }
                (action, schedule)
            }
            _ => (v, None),
        };
        let Some(name) = action_value.get_ref().as_str() else {
            diags.push(
                error(
                    action_value.span(),
                    format!("{table} `{key_str}` must be an action name, found {}", type_name(action_value.get_ref())),
                )
                .hint(format!("actions: {}", actions.join(", "))),
            );
            continue;
        };
        let Some(action) = HealthAction::from_name(name) else {
            let d = error(action_value.span(), format!("{table} `{key_str}`: unknown action \"{name}\""));
            diags.push(match closest(name, actions.iter().copied()) {
                Some(c) => d.hint(format!("did you mean \"{c}\"? actions: {}", actions.join(", "))),
                None => d.hint(format!("actions: {}", actions.join(", "))),
            });
            continue;
        };
        match (action == HealthAction::SwitchSchedule, &schedule) {
            (true, None) => {
                diags.push(
                    error(v.span(), format!("{table} `{key_str}`: switch_schedule needs the schedule to switch to"))
                        .hint(switch_hint(key_str)),
                );
                continue;
            }
            (false, Some(s)) => {
                diags.push(
                    error(
                        s.span.clone(),
                        format!("{table} `{key_str}`: `schedule` is for switch_schedule, not {name}"),
                    )
                    .hint(format!("write `{key_str} = \"{name}\"`")),
                );
                continue;
            }
            _ => {}
        }
        entries.push(HealthDesc {
            kind: S { value: kind, span: key.span() },
            action: S { value: action, span: action_value.span() },
            schedule,
        });
    }
    entries
}
