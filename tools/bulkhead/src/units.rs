//! Durations and sizes with units, as the description writes them:
//! `"20ms"`, `"250us"`, `"7ns"`, `"1s"`, `"4MiB"`, `"64KiB"`, `"128B"`.
//!
//! A unit is mandatory. A bare `20` could mean 20 ns or 20 ms, a factor of a
//! million in a schedule, so it is an error with a hint rather than a guess.
//! Sizes are binary (KiB = 1024 B); `MB` and friends are refused with a hint
//! because page tables and partition memory are powers of two.

/// A quantity parser failure, as a message and a hint for the diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitError {
    /// What is wrong.
    pub message: String,
    /// How to write it.
    pub hint: String,
}

const DURATION_UNITS: &[(&str, u64)] =
    &[("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000)];

const SIZE_UNITS: &[(&str, u64)] = &[("B", 1), ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)];

fn split(text: &str) -> (&str, &str) {
    let text = text.trim();
    let digits = text.char_indices().find(|&(_, c)| !(c.is_ascii_digit() || c == '_')).map_or(text.len(), |(i, _)| i);
    (&text[..digits], text[digits..].trim_start())
}

fn parse_with(text: &str, what: &str, units: &[(&str, u64)], example: &str) -> Result<u64, UnitError> {
    let (number, unit) = split(text);
    let names: Vec<&str> = units.iter().map(|u| u.0).filter(|u| *u != "µs").collect();
    if number.is_empty() || number.starts_with('_') {
        return Err(UnitError {
            message: format!("{what} {text:?} does not start with a whole number"),
            hint: format!("write a whole number and a unit, e.g. \"{example}\""),
        });
    }
    let value: u64 = number.replace('_', "").parse().map_err(|_| UnitError {
        message: format!("{what} {text:?} is too large"),
        hint: "use a larger unit".into(),
    })?;
    if unit.is_empty() {
        return Err(UnitError {
            message: format!("{what} {text:?} has no unit"),
            hint: format!("write the unit, e.g. \"{number}{}\" ({})", units[units.len() / 2].0, names.join(", ")),
        });
    }
    if unit.starts_with('.') {
        return Err(UnitError {
            message: format!("{what} {text:?} is not a whole number"),
            hint: format!("use a smaller unit to write a whole number ({})", names.join(", ")),
        });
    }
    let Some(&(_, scale)) = units.iter().find(|u| u.0 == unit) else {
        let suggestion = match unit {
            "KB" | "kB" | "K" | "k" | "KIB" | "kiB" => Some("KiB"),
            "MB" | "M" | "MIB" => Some("MiB"),
            "GB" | "G" | "GIB" => Some("GiB"),
            "b" | "bytes" => Some("B"),
            "sec" | "secs" | "S" => Some("s"),
            "msec" | "MS" | "Ms" => Some("ms"),
            "usec" | "US" => Some("us"),
            "nsec" | "NS" => Some("ns"),
            _ => None,
        };
        let hint = match suggestion {
            Some(s) => format!("did you mean \"{number}{s}\"? units are {}", names.join(", ")),
            None => format!("units are {}", names.join(", ")),
        };
        return Err(UnitError { message: format!("{what} {text:?} has unknown unit {unit:?}"), hint });
    };
    value.checked_mul(scale).ok_or_else(|| UnitError {
        message: format!("{what} {text:?} overflows 64 bits"),
        hint: "use a smaller value".into(),
    })
}

/// Parse a duration to nanoseconds.
pub fn parse_duration(text: &str) -> Result<u64, UnitError> {
    parse_with(text, "duration", DURATION_UNITS, "20ms")
}

/// Parse a size to bytes.
pub fn parse_size(text: &str) -> Result<u64, UnitError> {
    parse_with(text, "size", SIZE_UNITS, "4MiB")
}

/// Format nanoseconds in the largest unit that divides them exactly
/// (`20ms`, `1500us`, `7ns`), so messages echo what the user wrote.
pub fn fmt_ns(ns: u64) -> String {
    for &(name, scale) in DURATION_UNITS.iter().rev() {
        if name != "µs" && ns != 0 && ns.is_multiple_of(scale) {
            return format!("{}{name}", ns / scale);
        }
    }
    format!("{ns}ns")
}

/// Format nanoseconds for a timeline axis: short, with decimals if needed.
pub fn fmt_ns_short(ns: u64) -> String {
    if ns == 0 {
        "0".into()
    } else if ns.is_multiple_of(1_000_000) {
        format!("{}ms", ns / 1_000_000)
    } else if ns >= 1_000_000 {
        format!("{:.2}ms", ns as f64 / 1e6).replace(".00", "")
    } else if ns.is_multiple_of(1_000) {
        format!("{}us", ns / 1_000)
    } else {
        format!("{ns}ns")
    }
}

/// Format bytes in the largest binary unit that divides them exactly.
pub fn fmt_size(bytes: u64) -> String {
    for &(name, scale) in SIZE_UNITS.iter().rev() {
        if bytes != 0 && bytes.is_multiple_of(scale) {
            return format!("{}{name}", bytes / scale);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20ms"), Ok(20_000_000));
        assert_eq!(parse_duration("250us"), Ok(250_000));
        assert_eq!(parse_duration("7ns"), Ok(7));
        assert_eq!(parse_duration("1s"), Ok(1_000_000_000));
        assert_eq!(parse_duration("1_000us"), Ok(1_000_000));
        assert_eq!(parse_duration("3 ms"), Ok(3_000_000));
        assert!(parse_duration("20").unwrap_err().message.contains("no unit"));
        assert!(parse_duration("1.5ms").unwrap_err().message.contains("whole number"));
        assert!(parse_duration("5min").unwrap_err().message.contains("unknown unit"));
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("99999999999999999999s").is_err());
        assert!(parse_duration("99999999999s").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4MiB"), Ok(4 << 20));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("128B"), Ok(128));
        let e = parse_size("4MB").unwrap_err();
        assert!(e.hint.contains("4MiB"), "{e:?}");
    }

    #[test]
    fn formatting() {
        assert_eq!(fmt_ns(20_000_000), "20ms");
        assert_eq!(fmt_ns(1_500_000), "1500us");
        assert_eq!(fmt_ns(7), "7ns");
        assert_eq!(fmt_ns(0), "0ns");
        assert_eq!(fmt_size(4 << 20), "4MiB");
        assert_eq!(fmt_size(6144), "6KiB");
        assert_eq!(fmt_ns_short(2_500_000), "2.50ms");
    }
}
