//! The follow-ups of ended cases (`delete-account`, days after the effective time) as the
//! scheduler finds them: `cases.follow_up_at` holds [`offboard_core::Case::follow_up_at`],
//! written with the case, behind an index, so a tick reads only the due rows.

use rusqlite::Connection;

/// Adds `follow_up_at` to `cases` where it is missing (a database written before it existed:
/// no case of it had a follow-up, so no row needs filling in), and its index. Idempotent.
pub(crate) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let have: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('cases')")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if !have.iter().any(|h| h == "follow_up_at") {
        conn.execute_batch("ALTER TABLE cases ADD COLUMN follow_up_at INTEGER")?;
    }
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS cases_by_follow_up ON cases (follow_up_at, id)
             WHERE follow_up_at IS NOT NULL",
    )
}

/// The query: ended cases whose follow-up is due at `?1`, earliest first, at most `?2`.
pub(crate) const DUE: &str =
    "SELECT id FROM cases WHERE follow_up_at IS NOT NULL AND follow_up_at <= ?1
     ORDER BY follow_up_at, id LIMIT ?2";
