//! NCRONTAB schedules as Azure Functions timer triggers use them: six fields
//! `{second} {minute} {hour} {day} {month} {day-of-week}`, day-of-week 0–6 with 0 = Sunday.
//! Evaluated with the `cron` crate, whose day-of-week runs 1–7 with 1 = Sunday, so numeric
//! day-of-week values are shifted by one.

use chrono::{DateTime, Utc};
use std::str::FromStr;

/// A parsed timer schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    text: String,
    inner: cron::Schedule,
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// A schedule the stand-in cannot read.
#[derive(Debug, thiserror::Error)]
#[error("`{text}` is not a 6-field NCRONTAB expression ({detail})")]
pub struct ScheduleError {
    text: String,
    detail: String,
}

fn shift_dow(field: &str) -> Result<String, String> {
    let mut out = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        let shifted = range
            .split('-')
            .map(|part| match part.parse::<u8>() {
                Ok(n) if n <= 6 => Ok((n + 1).to_string()),
                Ok(n) => Err(format!("day-of-week {n} is outside 0-6")),
                Err(_) => Ok(part.to_owned()),
            })
            .collect::<Result<Vec<_>, _>>()?
            .join("-");
        out.push(match step {
            Some(s) => format!("{shifted}/{s}"),
            None => shifted,
        });
    }
    Ok(out.join(","))
}

impl Schedule {
    /// Parses a 6-field NCRONTAB expression. TimeSpan schedules (`hh:mm:ss`) are refused:
    /// the Consumption and Flex plans do not support them either.
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let err = |detail: String| ScheduleError {
            text: text.to_owned(),
            detail,
        };
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(err(format!("{} fields", fields.len())));
        }
        let dow = shift_dow(fields[5]).map_err(err)?;
        let expr = format!(
            "{} {} {} {} {} {}",
            fields[0], fields[1], fields[2], fields[3], fields[4], dow
        );
        let inner = cron::Schedule::from_str(&expr).map_err(|e| err(e.to_string()))?;
        Ok(Self {
            text: text.to_owned(),
            inner,
        })
    }

    /// The first occurrence strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.inner.after(&after).next()
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_minute() {
        let s = Schedule::parse("0 * * * * *").unwrap();
        assert_eq!(
            s.next_after(t("2026-11-26T10:00:30Z")),
            Some(t("2026-11-26T10:01:00Z"))
        );
    }

    #[test]
    fn sunday_is_zero_as_in_ncrontab() {
        // 2026-11-29 is a Sunday.
        let s = Schedule::parse("0 30 9 * * 0").unwrap();
        assert_eq!(
            s.next_after(t("2026-11-26T00:00:00Z")),
            Some(t("2026-11-29T09:30:00Z"))
        );
        let weekdays = Schedule::parse("0 0 8 * * 1-5").unwrap();
        assert_eq!(
            weekdays.next_after(t("2026-11-28T12:00:00Z")), // Saturday
            Some(t("2026-11-30T08:00:00Z"))                 // Monday
        );
    }

    #[test]
    fn five_fields_and_timespans_are_refused() {
        assert!(Schedule::parse("* * * * *").is_err());
        assert!(Schedule::parse("00:05:00").is_err());
        assert!(Schedule::parse("0 0 8 * * 7").is_err());
    }
}
