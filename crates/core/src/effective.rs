//! When a termination takes effect.
//!
//! HR systems send either an instant with an offset (`2026-11-30T17:00:00-05:00`) or a bare
//! date (`2026-11-30`). A bare date is read in the company's time zone (or the zone the event
//! names) and becomes effective at a configurable cutoff on that day — by default the end of
//! the day, so a leaver keeps access through their last working day. Involuntary and for-cause
//! terminations are effective immediately, whatever date HR gives. Both HR's value as sent and
//! the computed UTC instant are kept: the instant drives scheduling and the SLA clock, and the
//! value as sent is evidence.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::event::kind::TerminationKind;

/// HR's effective time exactly as it was sent, with its parsed form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum HrEffectiveTime {
    /// A full instant with an explicit UTC offset.
    Instant {
        /// The text HR sent.
        as_sent: String,
        /// The parsed instant, offset preserved.
        at: DateTime<FixedOffset>,
    },
    /// A calendar date, optionally with the IANA time zone it is meant in.
    Date {
        /// The text HR sent.
        as_sent: String,
        /// The parsed date.
        date: NaiveDate,
        /// The IANA zone the source named, if any (else the company zone applies).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time_zone: Option<String>,
    },
    /// The source gave no time: the termination is effective when received (a SCIM
    /// deactivation, an operator's "now").
    Immediate,
}

/// Why an effective time could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EffectiveTimeError {
    /// Not an RFC 3339 instant with an offset.
    #[error(
        "`{0}` is not an RFC 3339 date-time with an offset (for example 2026-11-30T17:00:00-05:00)"
    )]
    BadInstant(String),
    /// Not a `YYYY-MM-DD` date.
    #[error("`{0}` is not a date in the form YYYY-MM-DD")]
    BadDate(String),
    /// Not an IANA time zone name.
    #[error("`{0}` is not an IANA time zone name (for example America/New_York)")]
    BadTimeZone(String),
    /// Not a valid cutoff setting.
    #[error("`{0}` is not a cutoff: use `end-of-day` or a local time HH:MM")]
    BadCutoff(String),
}

impl HrEffectiveTime {
    /// Parses an RFC 3339 instant with offset.
    pub fn instant(as_sent: &str) -> Result<Self, EffectiveTimeError> {
        let at = DateTime::parse_from_rfc3339(as_sent.trim())
            .map_err(|_| EffectiveTimeError::BadInstant(as_sent.to_owned()))?;
        Ok(Self::Instant {
            as_sent: as_sent.to_owned(),
            at,
        })
    }

    /// Parses a `YYYY-MM-DD` date with an optional IANA zone.
    pub fn date(as_sent: &str, time_zone: Option<&str>) -> Result<Self, EffectiveTimeError> {
        let date = NaiveDate::parse_from_str(as_sent.trim(), "%Y-%m-%d")
            .map_err(|_| EffectiveTimeError::BadDate(as_sent.to_owned()))?;
        if let Some(zone) = time_zone {
            parse_zone(zone)?;
        }
        Ok(Self::Date {
            as_sent: as_sent.to_owned(),
            date,
            time_zone: time_zone.map(str::to_owned),
        })
    }

    /// Reads either form: an instant when the text has a time part, else a date.
    pub fn parse_any(as_sent: &str, time_zone: Option<&str>) -> Result<Self, EffectiveTimeError> {
        if as_sent.trim().len() > 10 {
            Self::instant(as_sent)
        } else {
            Self::date(as_sent, time_zone)
        }
    }

    /// The text HR sent, or `None` for [`HrEffectiveTime::Immediate`].
    pub fn as_sent(&self) -> Option<&str> {
        match self {
            Self::Instant { as_sent, .. } | Self::Date { as_sent, .. } => Some(as_sent),
            Self::Immediate => None,
        }
    }
}

/// The local time of day at which a date-only termination takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cutoff {
    /// At the end of the day (midnight that starts the next day, local time).
    EndOfDay,
    /// At this local time on the day.
    At(NaiveTime),
}

impl Cutoff {
    /// Parses `end-of-day` or `HH:MM`.
    pub fn parse(value: &str) -> Result<Self, EffectiveTimeError> {
        let v = value.trim();
        if v.eq_ignore_ascii_case("end-of-day") || v.eq_ignore_ascii_case("end_of_day") {
            return Ok(Self::EndOfDay);
        }
        NaiveTime::parse_from_str(v, "%H:%M")
            .map(Self::At)
            .map_err(|_| EffectiveTimeError::BadCutoff(value.to_owned()))
    }
}

/// The company's rules for turning HR's value into an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectivePolicy {
    /// The company time zone (`OFFBOARD_TIME_ZONE`).
    pub time_zone: Tz,
    /// The cutoff for date-only values (`OFFBOARD_EFFECTIVE_CUTOFF`).
    pub cutoff: Cutoff,
}

impl Default for EffectivePolicy {
    fn default() -> Self {
        Self {
            time_zone: Tz::UTC,
            cutoff: Cutoff::EndOfDay,
        }
    }
}

fn parse_zone(name: &str) -> Result<Tz, EffectiveTimeError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| EffectiveTimeError::BadTimeZone(name.to_owned()))
}

impl EffectivePolicy {
    /// Builds a policy from an IANA zone name and a cutoff text.
    pub fn new(time_zone: &str, cutoff: &str) -> Result<Self, EffectiveTimeError> {
        Ok(Self {
            time_zone: parse_zone(time_zone)?,
            cutoff: Cutoff::parse(cutoff)?,
        })
    }

    /// The UTC instant at which the termination takes effect.
    ///
    /// Involuntary and for-cause terminations are effective at once: the instant is the
    /// earlier of HR's time and the time offboard received the event, so the SLA clock never
    /// starts later than HR intended.
    pub fn effective_instant(
        &self,
        hr: &HrEffectiveTime,
        kind: TerminationKind,
        received_at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, EffectiveTimeError> {
        let hr_instant = match hr {
            HrEffectiveTime::Immediate => return Ok(received_at),
            HrEffectiveTime::Instant { at, .. } => at.with_timezone(&Utc),
            HrEffectiveTime::Date {
                date, time_zone, ..
            } => {
                let zone = match time_zone {
                    Some(name) => parse_zone(name)?,
                    None => self.time_zone,
                };
                local_cutoff_instant(zone, *date, self.cutoff)
            }
        };
        Ok(if kind.is_immediate() {
            hr_instant.min(received_at)
        } else {
            hr_instant
        })
    }
}

/// The instant of `cutoff` on `date` in `zone`. A local time that does not exist (the
/// spring-forward gap) moves forward to the first instant after the gap; an ambiguous one
/// (the autumn fold) takes the later instant, so access is never cut early.
fn local_cutoff_instant(zone: Tz, date: NaiveDate, cutoff: Cutoff) -> DateTime<Utc> {
    let local = match cutoff {
        Cutoff::EndOfDay => date.succ_opt().unwrap_or(date).and_time(NaiveTime::MIN),
        Cutoff::At(t) => date.and_time(t),
    };
    let mut probe = local;
    for _ in 0..=4 {
        match zone.from_local_datetime(&probe) {
            chrono::LocalResult::Single(t) => return t.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(_, later) => return later.with_timezone(&Utc),
            chrono::LocalResult::None => probe += Duration::minutes(30),
        }
    }
    // No zone has a gap longer than two hours; fall back to reading the time as UTC.
    Utc.from_utc_datetime(&local)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn date_only_is_end_of_day_in_company_zone() {
        let p = EffectivePolicy::new("America/New_York", "end-of-day").unwrap();
        let hr = HrEffectiveTime::date("2026-11-30", None).unwrap();
        let at = p
            .effective_instant(&hr, TerminationKind::Voluntary, utc("2026-11-01T00:00:00Z"))
            .unwrap();
        // Midnight starting Dec 1 in New York (EST, UTC-5).
        assert_eq!(at, utc("2026-12-01T05:00:00Z"));
    }

    #[test]
    fn event_zone_beats_company_zone_and_cutoff_time_applies() {
        let p = EffectivePolicy::new("UTC", "17:30").unwrap();
        let hr = HrEffectiveTime::date("2026-07-01", Some("Europe/Berlin")).unwrap();
        let at = p
            .effective_instant(
                &hr,
                TerminationKind::Retirement,
                utc("2026-06-01T00:00:00Z"),
            )
            .unwrap();
        assert_eq!(at, utc("2026-07-01T15:30:00Z"));
    }

    #[test]
    fn involuntary_is_immediate_but_never_later_than_hr() {
        let p = EffectivePolicy::default();
        let received = utc("2026-11-26T10:00:00Z");
        let future = HrEffectiveTime::instant("2026-12-31T00:00:00+00:00").unwrap();
        assert_eq!(
            p.effective_instant(&future, TerminationKind::Involuntary, received)
                .unwrap(),
            received
        );
        let past = HrEffectiveTime::instant("2026-11-25T09:00:00+01:00").unwrap();
        assert_eq!(
            p.effective_instant(&past, TerminationKind::ForCause, received)
                .unwrap(),
            utc("2026-11-25T08:00:00Z")
        );
    }

    #[test]
    fn spring_forward_gap_moves_forward() {
        // 02:30 does not exist in New York on 2026-03-08.
        let p = EffectivePolicy::new("America/New_York", "02:30").unwrap();
        let hr = HrEffectiveTime::date("2026-03-08", None).unwrap();
        let at = p
            .effective_instant(&hr, TerminationKind::Voluntary, utc("2026-01-01T00:00:00Z"))
            .unwrap();
        assert_eq!(at, utc("2026-03-08T07:00:00Z")); // 03:00 EDT
    }

    #[test]
    fn bad_values_say_what_is_expected() {
        assert!(matches!(
            HrEffectiveTime::instant("2026-11-30 17:00"),
            Err(EffectiveTimeError::BadInstant(_))
        ));
        assert!(matches!(
            HrEffectiveTime::date("30/11/2026", None),
            Err(EffectiveTimeError::BadDate(_))
        ));
        assert!(matches!(
            HrEffectiveTime::date("2026-11-30", Some("Mars/Olympus")),
            Err(EffectiveTimeError::BadTimeZone(_))
        ));
        assert!(Cutoff::parse("25:00").is_err());
    }
}
