//! The PL011 baud-rate divisor (PL011 TRM DDI 0183, 3.3.6 "Fractional Baud
//! Rate Register"): pure arithmetic, no registers, so the host tool checks a
//! description's `console_baud` with the very function the kernel programs
//! the UART from.
//!
//! BAUDDIV = UARTCLK / (16 × baud) is split into a 16-bit integer part
//! (UARTIBRD) and a 6-bit fraction (UARTFBRD = round(fraction × 64)). The
//! rounding is done on the whole divisor in 1/64 steps, so a fraction that
//! rounds up to 64 carries into the integer part. This is the rounding the
//! `arm-pl011-uart` crate uses, so `Uart::enable` programs the same divisor.

use core::fmt;

/// Largest deviation of the rate the UART makes from the rate asked for,
/// in parts per thousand. Both ends of a serial line sample mid-bit; 2 % on
/// one end leaves the other end most of the usual ±4 % frame budget.
pub const MAX_ERROR_PERMILLE: u32 = 20;

/// A PL011 divisor, as written to UARTIBRD and UARTFBRD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divisor {
    /// UARTIBRD: integer part, 1..=65535.
    pub ibrd: u16,
    /// UARTFBRD: fraction in 64ths, 0..=63 (0 when `ibrd` is 65535).
    pub fbrd: u8,
    /// The rate this divisor really makes from the clock, rounded to whole baud.
    pub actual_baud: u32,
}

/// Why a clock cannot make a baud rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DivisorError {
    /// The baud rate or the clock is zero.
    Zero {
        /// The clock, Hz.
        clock_hz: u32,
        /// The rate asked for.
        baud: u32,
    },
    /// The divisor would be below 1: the rate is above clock / 16.
    TooFast {
        /// The clock, Hz.
        clock_hz: u32,
        /// The rate asked for.
        baud: u32,
        /// The fastest rate the clock makes (divisor 1).
        max_baud: u32,
    },
    /// The divisor would be above 65535: the rate is below clock / (16 × 65535).
    TooSlow {
        /// The clock, Hz.
        clock_hz: u32,
        /// The rate asked for.
        baud: u32,
        /// The slowest rate the clock makes (divisor 65535), rounded up.
        min_baud: u32,
    },
    /// The nearest divisor makes a rate more than [`MAX_ERROR_PERMILLE`] off.
    Inexact {
        /// The clock, Hz.
        clock_hz: u32,
        /// The rate asked for.
        baud: u32,
        /// The rate the nearest divisor makes.
        actual_baud: u32,
    },
}

impl fmt::Display for DivisorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DivisorError::Zero { clock_hz, baud } => write!(f, "{baud} baud from a {clock_hz} Hz clock: zero"),
            DivisorError::TooFast { clock_hz, baud, max_baud } => write!(
                f,
                "{baud} baud needs a divisor below 1; the fastest rate from {clock_hz} Hz is {max_baud} baud (clock / 16)"
            ),
            DivisorError::TooSlow { clock_hz, baud, min_baud } => write!(
                f,
                "{baud} baud needs a divisor above 65535; the slowest rate from {clock_hz} Hz is {min_baud} baud"
            ),
            DivisorError::Inexact { clock_hz, baud, actual_baud } => write!(
                f,
                "the nearest divisor makes {actual_baud} baud from {clock_hz} Hz, more than {}.{} % off {baud}",
                MAX_ERROR_PERMILLE / 10,
                MAX_ERROR_PERMILLE % 10
            ),
        }
    }
}

impl core::error::Error for DivisorError {}

/// The PL011 divisor that makes `baud` from a `clock_hz` UARTCLK.
///
/// Refuses a zero rate or clock, a rate above `clock_hz / 16` (the divisor
/// would be below 1) or below `clock_hz / (16 × 65535)`, and a rate the
/// nearest divisor misses by more than [`MAX_ERROR_PERMILLE`]. With 1/64
/// steps and a divisor of at least 1 the rounding costs at most 1/128
/// (0.8 %), so the last check holds for every rate in range today; it is the
/// contract the console relies on, kept should the rounding ever coarsen.
pub fn pl011_divisor(clock_hz: u32, baud: u32) -> Result<Divisor, DivisorError> {
    if clock_hz == 0 || baud == 0 {
        return Err(DivisorError::Zero { clock_hz, baud });
    }
    let clock = u64::from(clock_hz);
    let rate = u64::from(baud);
    // The divisor in 64ths: 64 × clock / (16 × baud) = 4 × clock / baud,
    // rounded to nearest. u64 holds 8 × u32::MAX without overflow.
    let sixty_fourths = (8 * clock / rate).div_ceil(2);
    let ibrd = sixty_fourths >> 6;
    let fbrd = sixty_fourths & 0x3f;
    if ibrd == 0 {
        return Err(DivisorError::TooFast { clock_hz, baud, max_baud: clock_hz / 16 });
    }
    if ibrd > 0xffff || (ibrd == 0xffff && fbrd != 0) {
        return Err(DivisorError::TooSlow { clock_hz, baud, min_baud: clock.div_ceil(16 * 0xffff) as u32 });
    }
    // Rate made = 4 × clock / sixty_fourths, rounded to nearest; at most
    // 4 × clock / 64 = clock / 16, so it fits a u32.
    let actual = (8 * clock / sixty_fourths).div_ceil(2);
    let actual_baud = u32::try_from(actual).unwrap_or(u32::MAX);
    if actual.abs_diff(rate) * 1000 > rate * u64::from(MAX_ERROR_PERMILLE) {
        return Err(DivisorError::Inexact { clock_hz, baud, actual_baud });
    }
    Ok(Divisor { ibrd: ibrd as u16, fbrd: fbrd as u8, actual_baud })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::console::PL011_CLOCK_HZ;
    use std::string::ToString;

    #[test]
    fn the_usual_rates_at_48_mhz() {
        // 48e6 / (16 × 115200) = 26.0417: IBRD 26, FBRD round(0.0417 × 64) = 3.
        assert_eq!(pl011_divisor(PL011_CLOCK_HZ, 115_200), Ok(Divisor { ibrd: 26, fbrd: 3, actual_baud: 115_177 }));
        // 48e6 / (16 × 921600) = 3.2552: IBRD 3, FBRD round(0.2552 × 64) = 16.
        assert_eq!(pl011_divisor(PL011_CLOCK_HZ, 921_600), Ok(Divisor { ibrd: 3, fbrd: 16, actual_baud: 923_077 }));
        // Exact: 48e6 / (16 × 3e6) = 1.
        assert_eq!(pl011_divisor(PL011_CLOCK_HZ, 3_000_000), Ok(Divisor { ibrd: 1, fbrd: 0, actual_baud: 3_000_000 }));
    }

    #[test]
    fn a_fraction_that_rounds_to_64_carries_into_the_integer_part() {
        // 48e6 / (16 × 1_503_524) = 1.9953: IBRD 1 with FBRD round(0.9953 × 64)
        // = 64 does not fit 6 bits; the divisor is 2 + 0/64.
        assert_eq!(pl011_divisor(PL011_CLOCK_HZ, 1_503_524).map(|d| (d.ibrd, d.fbrd)), Ok((2, 0)));
        // Just above clock / 16: 48e6 / (16 × 3_020_000) = 0.9934 rounds to
        // 1 + 0/64, which makes 3 000 000 baud, 0.7 % slow.
        assert_eq!(pl011_divisor(PL011_CLOCK_HZ, 3_020_000), Ok(Divisor { ibrd: 1, fbrd: 0, actual_baud: 3_000_000 }));
    }

    #[test]
    fn zero_too_fast_and_too_slow_are_refused_with_their_numbers() {
        assert_eq!(pl011_divisor(PL011_CLOCK_HZ, 0), Err(DivisorError::Zero { clock_hz: 48_000_000, baud: 0 }));
        assert_eq!(pl011_divisor(0, 115_200), Err(DivisorError::Zero { clock_hz: 0, baud: 115_200 }));
        assert_eq!(
            pl011_divisor(PL011_CLOCK_HZ, 4_000_000),
            Err(DivisorError::TooFast { clock_hz: 48_000_000, baud: 4_000_000, max_baud: 3_000_000 })
        );
        assert!(matches!(pl011_divisor(PL011_CLOCK_HZ, u32::MAX), Err(DivisorError::TooFast { .. })));
        assert_eq!(
            pl011_divisor(PL011_CLOCK_HZ, 45),
            Err(DivisorError::TooSlow { clock_hz: 48_000_000, baud: 45, min_baud: 46 })
        );
        assert!(matches!(pl011_divisor(PL011_CLOCK_HZ, 1), Err(DivisorError::TooSlow { .. })));
        assert!(pl011_divisor(PL011_CLOCK_HZ, 46).is_ok(), "the slowest rate the error names is accepted");
    }

    #[test]
    fn the_refusals_read_with_their_numbers() {
        assert_eq!(
            pl011_divisor(PL011_CLOCK_HZ, 5_000_000).unwrap_err().to_string(),
            "5000000 baud needs a divisor below 1; the fastest rate from 48000000 Hz is 3000000 baud (clock / 16)"
        );
        assert_eq!(
            pl011_divisor(PL011_CLOCK_HZ, 10).unwrap_err().to_string(),
            "10 baud needs a divisor above 65535; the slowest rate from 48000000 Hz is 46 baud"
        );
        assert_eq!(
            DivisorError::Inexact { clock_hz: 1, baud: 100, actual_baud: 97 }.to_string(),
            "the nearest divisor makes 97 baud from 1 Hz, more than 2.0 % off 100"
        );
    }

    #[test]
    fn every_accepted_rate_is_within_the_tolerance_and_matches_its_registers() {
        let mut baud = 46;
        while baud <= 3_000_000 {
            let d = pl011_divisor(PL011_CLOCK_HZ, baud).unwrap();
            assert!((1..=0xffff).contains(&d.ibrd) && d.fbrd < 64, "{baud}: {d:?}");
            let made = 4.0 * f64::from(PL011_CLOCK_HZ) / (f64::from(d.ibrd) * 64.0 + f64::from(d.fbrd));
            assert!((made - f64::from(d.actual_baud)).abs() <= 0.5, "{baud}: {d:?} makes {made}");
            assert!((made - f64::from(baud)).abs() / f64::from(baud) <= 1.0 / 128.0, "{baud}: {d:?}");
            baud += baud / 50 + 1;
        }
    }
}
