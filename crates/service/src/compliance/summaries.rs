//! The dashboard's cheap read of the index: per-case summaries instead of whole entries.

use chrono::{DateTime, Utc};

use offboard_core::evidence::IndexSummary;

use super::{Compliance, ComplianceError};
use crate::evidence::EvidenceFailure;

impl Compliance {
    /// Every case's summary with an effective time in `[from, to)`, by effective time then id,
    /// read one period at a time: what the dashboard's counts and lists need, without reading
    /// the entries where the index keeps summaries beside them.
    pub async fn summaries_between(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<(Vec<String>, Vec<IndexSummary>), ComplianceError> {
        let periods = self.periods_in(from, to).await?;
        let mut out = Vec::new();
        for p in &periods {
            let index = self.evidence.index();
            let mut rows = index.summaries(p).await.map_err(EvidenceFailure::from)?;
            rows.retain(|e| {
                from.is_none_or(|f| e.effective_at >= f) && to.is_none_or(|t| e.effective_at < t)
            });
            rows.sort_by(|a, b| (a.effective_at, &a.id).cmp(&(b.effective_at, &b.id)));
            out.extend(rows);
        }
        Ok((periods, out))
    }
}
