//! Reading a population source's report as it streams in: row by row, keeping of each person
//! only what the judgement needs (identifiers, employment, the termination and its kind, and
//! the name of a leaver, whom findings and reports name), and hashing every byte on the way
//! ([`read_snapshot`]), so a 100,000-person report is never held whole, as bytes or as a JSON
//! tree. A malformed report still fails the whole source: no source yields half its rows.

use std::io::{self, BufReader, Read};

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use sha2::{Digest, Sha256};

use super::population::{ColumnMapping, Employment, PopulationError, PopulationRow, Snapshot};
use crate::effective::HrEffectiveTime;
use crate::event::TerminationKind;
use crate::ids::Sha256Digest;

/// A reader that hashes every byte it passes on.
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Hashing<R> {
    /// Hashes what `inner` gives.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// Reads what is left (a parser may stop short of the end: trailing whitespace) and
    /// returns the digest of every byte read.
    pub fn finish(mut self) -> io::Result<Sha256Digest> {
        io::copy(&mut self, &mut io::sink())?;
        Ok(Sha256Digest::from_bytes(self.hasher.finalize().into()))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// What a source's report looks like.
#[derive(Debug, Clone, Copy)]
pub enum ReportShape<'a> {
    /// CSV with a header row, columns mapped.
    Csv(&'a ColumnMapping),
    /// JSON rows, columns mapped.
    Json(&'a ColumnMapping),
    /// BambooHR's custom report.
    BambooHr,
}

/// Reads `source`'s report from `reader`, row by row, hashing every byte (to the end).
pub fn read_snapshot(
    source: &str,
    shape: ReportShape<'_>,
    reader: impl Read,
) -> Result<Snapshot, PopulationError> {
    let mut hashing = Hashing::new(reader);
    let rows = match shape {
        ReportShape::Csv(map) => parse_csv(&mut hashing, map),
        ReportShape::Json(map) => parse_json(&mut hashing, map),
        ReportShape::BambooHr => parse_bamboohr(&mut hashing),
    }?;
    let sha256 = hashing
        .finish()
        .map_err(|e| PopulationError::Malformed(e.to_string()))?;
    Ok(Snapshot {
        source: source.to_owned(),
        sha256,
        rows,
    })
}

/// The snapshot of rows offboard assembled itself (Entra ID's pages are not one document):
/// hashed as their JSON, written straight into the hash.
pub fn snapshot_of_rows(source: &str, rows: Vec<PopulationRow>) -> Snapshot {
    let mut hasher = Sha256::new();
    // Writing into a hash cannot fail, and the rows always serialise.
    let _ = serde_json::to_writer(&mut hasher, &rows);
    Snapshot {
        source: source.to_owned(),
        sha256: Sha256Digest::from_bytes(hasher.finalize().into()),
        rows,
    }
}

fn blank_to_none(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty() && *s != "0000-00-00")
        .map(str::to_owned)
}

/// One person's cells, as the report gave them.
#[derive(Default)]
struct Cells<'a> {
    id: Option<&'a str>,
    email: Option<&'a str>,
    name: Option<&'a str>,
    status: Option<&'a str>,
    date: Option<&'a str>,
    kind: Option<&'a str>,
}

/// The person of data row `row` (1-based): terminated when the status is one of
/// `terminated_values`; the name is kept only for a leaver (findings name leavers only).
fn person(
    row: usize,
    c: Cells<'_>,
    terminated_values: &[String],
) -> Result<PopulationRow, PopulationError> {
    let terminated = c.status.is_some_and(|s| {
        terminated_values
            .iter()
            .any(|t| t.eq_ignore_ascii_case(s.trim()))
    });
    let (employment, left, name) = if terminated {
        let left = blank_to_none(c.date)
            .map(|d| {
                HrEffectiveTime::parse_any(&d, None).map_err(|e| PopulationError::BadRow {
                    row,
                    detail: e.to_string(),
                })
            })
            .transpose()?;
        (Employment::Terminated, left, blank_to_none(c.name))
    } else {
        (Employment::Current, None, None)
    };
    Ok(PopulationRow {
        employee_id: blank_to_none(c.id),
        email: blank_to_none(c.email),
        name,
        employment,
        terminated: left,
        kind: c
            .kind
            .and_then(TerminationKind::parse)
            .unwrap_or(TerminationKind::Unspecified),
    })
}

/// Reads a CSV report with a header row under `map`.
pub fn parse_csv(
    reader: impl Read,
    map: &ColumnMapping,
) -> Result<Vec<PopulationRow>, PopulationError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = reader
        .headers()
        .map_err(|e| PopulationError::Malformed(e.to_string()))?
        .clone();
    let col = |name: &str, field: &'static str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| PopulationError::MissingColumn {
                column: name.to_owned(),
                field,
            })
    };
    let id = col(&map.employee_id, "employee_id")?;
    let email = col(&map.email, "email")?;
    let status = col(&map.status, "status")?;
    let date = col(&map.termination_date, "termination_date")?;
    let kind = map
        .termination_type
        .as_deref()
        .map(|c| col(c, "termination_type"))
        .transpose()?;
    let name = map.name.as_deref().map(|c| col(c, "name")).transpose()?;
    let mut rows = Vec::new();
    let mut rec = csv::StringRecord::new();
    let mut i = 0;
    while reader
        .read_record(&mut rec)
        .map_err(|e| PopulationError::Malformed(e.to_string()))?
    {
        i += 1;
        let cells = Cells {
            id: rec.get(id),
            email: rec.get(email),
            name: name.and_then(|n| rec.get(n)),
            status: rec.get(status),
            date: rec.get(date),
            kind: kind.and_then(|k| rec.get(k)),
        };
        rows.push(person(i, cells, &map.terminated_values)?);
    }
    Ok(rows)
}

/// A JSON cell: a string, or a number as text; anything else holds no value.
#[derive(Default)]
struct Cell(Option<String>);

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cell;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a cell")
            }
            fn visit_str<E>(self, v: &str) -> Result<Cell, E> {
                Ok(Cell(Some(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Cell, E> {
                Ok(Cell(Some(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Cell, E> {
                Ok(Cell(Some(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Cell, E> {
                Ok(Cell(Some(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Cell, E> {
                Ok(Cell(serde_json::Number::from_f64(v).map(|n| n.to_string())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Cell, E> {
                Ok(Cell(None))
            }
            fn visit_unit<E>(self) -> Result<Cell, E> {
                Ok(Cell(None))
            }
            fn visit_none<E>(self) -> Result<Cell, E> {
                Ok(Cell(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Cell, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Cell(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Cell, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Cell(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// The rows read so far and the first error a row raised (a serde error then aborts the
/// parse; the row's own error is what the source reports).
struct Rows<'a> {
    rows: &'a mut Vec<PopulationRow>,
    failed: &'a mut Option<PopulationError>,
}

impl Rows<'_> {
    fn push<E: de::Error>(&mut self, row: Result<PopulationRow, PopulationError>) -> Result<(), E> {
        match row {
            Ok(r) => {
                self.rows.push(r);
                Ok(())
            }
            Err(e) => {
                let text = e.to_string();
                *self.failed = Some(e);
                Err(E::custom(text))
            }
        }
    }
}

/// The first error a row raised, else the parser's, as the source's failure.
fn failure(failed: Option<PopulationError>, e: serde_json::Error) -> PopulationError {
    failed.unwrap_or_else(|| PopulationError::Malformed(e.to_string()))
}

/// One employee of BambooHR's custom report, as offboard asks for it
/// ([`super::population::BAMBOOHR_REPORT_FIELDS`]); other fields are skipped unread.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BambooEmployee {
    #[serde(default)]
    employee_number: Cell,
    #[serde(default)]
    first_name: Cell,
    #[serde(default)]
    last_name: Cell,
    #[serde(default)]
    work_email: Cell,
    /// `None` when the field is missing (the report was asked without it).
    #[serde(default, deserialize_with = "present")]
    status: Option<Cell>,
    #[serde(default)]
    employment_history_status: Cell,
    #[serde(default)]
    termination_date: Cell,
    #[serde(default)]
    termination_type: Cell,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cell>, D::Error> {
    Cell::deserialize(d).map(Some)
}

impl BambooEmployee {
    /// `status` is `Active` or `Inactive`; an inactive employee (or one whose employment
    /// history says terminated) with a termination date left.
    fn person(self, row: usize) -> Result<PopulationRow, PopulationError> {
        let Some(status) = self.status else {
            return Err(PopulationError::MissingColumn {
                column: "status".into(),
                field: "status",
            });
        };
        let inactive = status
            .0
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("inactive"))
            || self
                .employment_history_status
                .0
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("terminated"));
        let name = match (self.first_name.0, self.last_name.0) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (f, l) => f.or(l),
        };
        person(
            row,
            Cells {
                id: self.employee_number.0.as_deref(),
                email: self.work_email.0.as_deref(),
                name: name.as_deref(),
                status: Some(if inactive { "terminated" } else { "active" }),
                date: self.termination_date.0.as_deref(),
                kind: self.termination_type.0.as_deref(),
            },
            &["terminated".to_owned()],
        )
    }
}

/// BambooHR's `employees` array, row by row.
struct BambooEmployees<'a>(Rows<'a>);

impl<'de> DeserializeSeed<'de> for BambooEmployees<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for BambooEmployees<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of employees")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut a: A) -> Result<(), A::Error> {
        let mut row = 0;
        while let Some(e) = a.next_element::<BambooEmployee>()? {
            row += 1;
            self.0.push(e.person(row))?;
        }
        Ok(())
    }
}

/// BambooHR's report object: `employees` is read, every other key skipped.
struct BambooReport<'a>(Rows<'a>);

impl<'de> Visitor<'de> for BambooReport<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a BambooHR report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<bool, A::Error> {
        let Rows { rows, failed } = self.0;
        let mut found = false;
        while let Some(key) = a.next_key::<String>()? {
            if key == "employees" && !found {
                a.next_value_seed(BambooEmployees(Rows {
                    rows: &mut *rows,
                    failed: &mut *failed,
                }))?;
                found = true;
            } else {
                a.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// Reads BambooHR's custom report JSON (`{"title", "fields": [...], "employees": [...]}`).
pub fn parse_bamboohr(reader: impl Read) -> Result<Vec<PopulationRow>, PopulationError> {
    let mut rows = Vec::new();
    let mut failed = None;
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(reader));
    let found = de
        .deserialize_map(BambooReport(Rows {
            rows: &mut rows,
            failed: &mut failed,
        }))
        .and_then(|found| de.end().map(|()| found))
        .map_err(|e| failure(failed.take(), e))?;
    if !found {
        return Err(PopulationError::Malformed(
            "a BambooHR report has an `employees` array".into(),
        ));
    }
    Ok(rows)
}

/// The mapped columns of one generic JSON row, and which of them the row has.
struct Picked {
    cells: [Option<String>; 6],
    present: [bool; 6],
}

/// One generic JSON row: the mapped columns picked, every other key skipped unread.
struct PickRow<'a> {
    columns: &'a [Option<&'a str>; 6],
    row: usize,
}

impl<'de> DeserializeSeed<'de> for PickRow<'_> {
    type Value = Picked;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Picked, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PickRow<'_> {
    type Value = Picked;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "row {} as an object", self.row)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Picked, A::Error> {
        let mut p = Picked {
            cells: Default::default(),
            present: [false; 6],
        };
        while let Some(key) = a.next_key::<String>()? {
            match self.columns.iter().position(|c| *c == Some(key.as_str())) {
                Some(i) => {
                    p.cells[i] = a.next_value::<Cell>()?.0;
                    p.present[i] = true;
                }
                None => {
                    a.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(p)
    }
}

/// Generic JSON rows, row by row.
struct JsonRows<'a> {
    rows: Rows<'a>,
    map: &'a ColumnMapping,
}

impl<'de> DeserializeSeed<'de> for JsonRows<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for JsonRows<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of rows")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut a: A) -> Result<(), A::Error> {
        let m = self.map;
        let columns = [
            Some(m.employee_id.as_str()),
            Some(m.email.as_str()),
            Some(m.status.as_str()),
            Some(m.termination_date.as_str()),
            m.termination_type.as_deref(),
            m.name.as_deref(),
        ];
        let mut row = 0;
        while let Some(p) = a.next_element_seed(PickRow {
            columns: &columns,
            row: row + 1,
        })? {
            row += 1;
            // Every mapped column must be in the first row: a renamed column in the export
            // fails the source instead of reading every person as "no status".
            if row == 1 {
                let required = ["employee_id", "email", "status", "termination_date"];
                if let Some(i) = (0..required.len()).find(|i| !p.present[*i]) {
                    return self.rows.push(Err(PopulationError::MissingColumn {
                        column: columns[i].unwrap_or_default().to_owned(),
                        field: required[i],
                    }));
                }
            }
            let [id, email, status, date, kind, name] = &p.cells;
            let cells = Cells {
                id: id.as_deref(),
                email: email.as_deref(),
                name: name.as_deref(),
                status: status.as_deref(),
                date: date.as_deref(),
                kind: kind.as_deref(),
            };
            self.rows.push(person(row, cells, &m.terminated_values))?;
        }
        Ok(())
    }
}

/// The names under which a JSON report object holds its rows.
const ROW_KEYS: [&str; 4] = ["Report_Entry", "value", "data", "employees"];

/// A generic JSON report: an array of rows, or an object holding one under [`ROW_KEYS`].
struct JsonReport<'a> {
    rows: Rows<'a>,
    map: &'a ColumnMapping,
}

impl<'de> Visitor<'de> for JsonReport<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON rows")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<bool, A::Error> {
        JsonRows {
            rows: self.rows,
            map: self.map,
        }
        .visit_seq(a)?;
        Ok(true)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<bool, A::Error> {
        let Rows { rows, failed } = self.rows;
        let mut found = false;
        while let Some(key) = a.next_key::<String>()? {
            if !found && ROW_KEYS.contains(&key.as_str()) {
                a.next_value_seed(JsonRows {
                    rows: Rows {
                        rows: &mut *rows,
                        failed: &mut *failed,
                    },
                    map: self.map,
                })?;
                found = true;
            } else {
                a.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// Reads a JSON report: an array of objects, or an object holding one under `Report_Entry`
/// (Workday RaaS), `value`, `data` or `employees` (the first of them in the document).
pub fn parse_json(
    reader: impl Read,
    map: &ColumnMapping,
) -> Result<Vec<PopulationRow>, PopulationError> {
    let mut rows = Vec::new();
    let mut failed = None;
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(reader));
    let found = de
        .deserialize_any(JsonReport {
            rows: Rows {
                rows: &mut rows,
                failed: &mut failed,
            },
            map,
        })
        .and_then(|found| de.end().map(|()| found))
        .map_err(|e| failure(failed.take(), e))?;
    if !found {
        return Err(PopulationError::Malformed(
            "expected an array of rows, or an object with `Report_Entry`, `value`, `data` or `employees`".into(),
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests;
