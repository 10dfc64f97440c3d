//! The kill switch's one setting: how long the intake request may spend cutting sign-in.

use std::time::Duration;

use super::error::SettingsError;
use super::names::OFFBOARD_SIGN_IN_CUT_BUDGET_MS;

/// The sign-in cut's budget when [`OFFBOARD_SIGN_IN_CUT_BUDGET_MS`] is unset.
pub const DEFAULT_SIGN_IN_CUT_BUDGET: Duration = Duration::from_secs(3);

/// The budget: whole milliseconds from 100 to 15000. The cut holds its claim on the case for
/// the steps' lease (40 s, not renewed while the cut runs), so the budget plus the margin a
/// step keeps before its lease ends (25 s) stays inside it and a cut never outlives its claim.
pub(super) fn budget(value: Option<String>) -> Result<Duration, SettingsError> {
    let Some(v) = value else {
        return Ok(DEFAULT_SIGN_IN_CUT_BUDGET);
    };
    v.parse::<u64>()
        .ok()
        .filter(|ms| (100..=15_000).contains(ms))
        .map(Duration::from_millis)
        .ok_or_else(|| SettingsError {
            name: OFFBOARD_SIGN_IN_CUT_BUDGET_MS,
            detail: format!("`{v}` is not a number of milliseconds from 100 to 15000"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_seconds_by_default_and_nothing_that_outlives_the_claim() {
        assert_eq!(budget(None).unwrap(), Duration::from_secs(3));
        assert_eq!(
            budget(Some("750".into())).unwrap(),
            Duration::from_millis(750)
        );
        for bad in ["0", "99", "60001", "3s", "-1"] {
            let e = budget(Some(bad.into())).unwrap_err();
            assert_eq!(e.name, OFFBOARD_SIGN_IN_CUT_BUDGET_MS, "{bad}");
        }
    }
}
