//! The vocabulary of the kernel's switch trace, shared by the kernel, which
//! writes `trace:` lines (kernel/src/module/trace.rs documents the line
//! format), and `bulkhead trace`, which reads them: one definition, so the
//! two cannot drift apart.

/// Why a core took a scheduling decision.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TraceReason {
    /// A new window began on time.
    Boundary,
    /// A new window began after one or more boundaries were missed
    /// (recovered from the epoch).
    Missed,
    /// The running thread waited, yielded or trapped WFI.
    Wait,
    /// A thread became ready inside the window.
    Wake,
    /// A partition was stopped or restarted.
    Health,
    /// Anything else: a schedule switch or a migration kick.
    Resched,
}

impl TraceReason {
    /// Every reason, in the order above.
    pub const ALL: [TraceReason; 6] = [
        TraceReason::Boundary,
        TraceReason::Missed,
        TraceReason::Wait,
        TraceReason::Wake,
        TraceReason::Health,
        TraceReason::Resched,
    ];

    /// The word in a trace line.
    pub const fn as_str(self) -> &'static str {
        match self {
            TraceReason::Boundary => "boundary",
            TraceReason::Missed => "missed",
            TraceReason::Wait => "wait",
            TraceReason::Wake => "wake",
            TraceReason::Health => "health",
            TraceReason::Resched => "resched",
        }
    }

    /// The reason a trace line's word names, if any.
    pub fn parse(word: &str) -> Option<TraceReason> {
        Self::ALL.into_iter().find(|r| r.as_str() == word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_round_trips_through_its_word() {
        for r in TraceReason::ALL {
            assert_eq!(TraceReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(TraceReason::parse("Boundary"), None);
        assert_eq!(TraceReason::parse(""), None);
    }
}
