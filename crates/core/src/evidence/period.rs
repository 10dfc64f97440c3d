//! Evidence periods: the month (`YYYY-MM`, UTC) a case's evidence and index entry are filed
//! under, and a range of them as `offboard verify --ledger` and `rebuild-index` take it.
//! A period is checked once, where the text comes in; past that it cannot be malformed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// One evidence period: a calendar month, written `YYYY-MM` (years 0000 to 9999), which
/// sorts as text in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: u16,
    month: u8,
}

/// Why a text is not a period, or two periods not a range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The text is not `YYYY-MM` with a month from 01 to 12.
    #[error("`{0}` is not a period: use YYYY-MM (for example 2026-11)")]
    Malformed(String),
    /// `to` comes before `from`.
    #[error("the period runs backwards: `to` ({to}) is before `from` ({from})")]
    Backwards {
        /// The first period asked for.
        from: Period,
        /// The last period asked for.
        to: Period,
    },
}

impl Period {
    /// The earliest period there can be: an open range starts here.
    pub const FIRST: Period = Period { year: 0, month: 1 };
    /// The latest period there can be: an open range ends here.
    pub const LAST: Period = Period {
        year: 9999,
        month: 12,
    };

    /// Reads `YYYY-MM`.
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let malformed = || PeriodError::Malformed(text.to_owned());
        let (y, m) = text.split_once('-').ok_or_else(malformed)?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(y, 4) || !digits(m, 2) {
            return Err(malformed());
        }
        let year = y.parse().map_err(|_| malformed())?;
        let month = m.parse().map_err(|_| malformed())?;
        if !(1..=12).contains(&month) {
            return Err(malformed());
        }
        Ok(Self { year, month })
    }

    /// The period of an instant (its UTC month): where a case effective then is filed.
    pub fn of(instant: DateTime<Utc>) -> Self {
        use chrono::Datelike;
        Self {
            // chrono's years outside 0..=9999 cannot come from a parsed HR date (the parsers
            // range-check them); clamp rather than wrap if one ever does.
            year: instant.year().clamp(0, 9999) as u16,
            month: instant.month() as u8,
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The periods from `from` to `to`, both included, never running backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodRange {
    from: Period,
    to: Period,
}

impl PeriodRange {
    /// Every period there is.
    pub const ALL: PeriodRange = PeriodRange {
        from: Period::FIRST,
        to: Period::LAST,
    };

    /// The range `[from, to]`; an open end reaches the first or last period there is.
    pub fn new(from: Option<Period>, to: Option<Period>) -> Result<Self, PeriodError> {
        let (from, to) = (from.unwrap_or(Period::FIRST), to.unwrap_or(Period::LAST));
        if to < from {
            return Err(PeriodError::Backwards { from, to });
        }
        Ok(Self { from, to })
    }

    /// The first period (included).
    pub fn from(&self) -> Period {
        self.from
    }

    /// The last period (included).
    pub fn to(&self) -> Period {
        self.to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_a_month_written_yyyy_mm() {
        let p = Period::parse("2026-11").unwrap();
        assert_eq!(p.to_string(), "2026-11");
        assert_eq!(Period::parse("0000-01").unwrap(), Period::FIRST);
        assert_eq!(Period::parse("9999-12").unwrap(), Period::LAST);
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-11",
            "2026/11",
            "2026-11-01",
            "",
            "+026-11",
            "2026--1",
            "２０２６-11",
        ] {
            assert_eq!(
                Period::parse(bad),
                Err(PeriodError::Malformed(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_period_of_an_instant_is_its_utc_month() {
        let at: DateTime<Utc> = "2026-11-30T23:59:59.999Z".parse().unwrap();
        assert_eq!(Period::of(at).to_string(), "2026-11");
        let at: DateTime<Utc> = "2026-12-01T00:30:00+01:00".parse().unwrap();
        assert_eq!(Period::of(at).to_string(), "2026-11");
    }

    #[test]
    fn periods_order_as_their_text_does() {
        let texts = ["0000-01", "2025-12", "2026-01", "2026-11", "9999-12"];
        let periods: Vec<Period> = texts.iter().map(|t| Period::parse(t).unwrap()).collect();
        assert!(periods.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_period_reads_and_writes_as_its_text_only_when_valid() {
        let p: Period = serde_json::from_str("\"2026-11\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"2026-11\"");
        assert!(serde_json::from_str::<Period>("\"2026-13\"").is_err());
    }

    #[test]
    fn a_range_never_runs_backwards_and_open_ends_reach_every_period() {
        let (a, b) = (
            Period::parse("2026-01").unwrap(),
            Period::parse("2026-03").unwrap(),
        );
        let r = PeriodRange::new(Some(a), Some(b)).unwrap();
        assert_eq!((r.from(), r.to()), (a, b));
        assert_eq!(
            PeriodRange::new(Some(b), Some(a)),
            Err(PeriodError::Backwards { from: b, to: a })
        );
        assert_eq!(PeriodRange::new(None, None).unwrap(), PeriodRange::ALL);
        assert_eq!(PeriodRange::new(Some(a), None).unwrap().to(), Period::LAST);
        assert!(PeriodRange::new(Some(a), Some(a)).is_ok());
    }
}
