//! The terminations report as an XLSX workbook: a leaf that knows spreadsheets, not reports.
//! [`super`] hands it the same columns and cells as the CSV export and the facts an auditor
//! relies on (information produced by the entity), and gets the file's bytes back.
//!
//! - Sheet **Terminations** (or **Completeness**): the CSV's header row and rows, cell for cell. Cells are written
//!   as text (a spreadsheet never runs a text cell as a formula, so the CSV's apostrophe
//!   neutralisation is not needed here) except the columns [`Column::Number`] names, written
//!   as numbers so they sort and sum.
//! - Sheet **Report**: the query, its parameters, the periods read, the row count and what
//!   else the caller lists, one fact a row.
//!
//! **The same evidence gives the same file.** The workbook's creation time is fixed (1980-01-01,
//! as the ZIP entries' times are) and nothing in it depends on when or by whom it was asked
//! for, so a regenerated export has the same SHA-256 as long as the evidence is unchanged —
//! the hash the Reports page shows is the hash of the file the download delivers.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

/// How a column's cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// As text, exactly as the CSV has it before neutralisation.
    Text,
    /// As a number when the cell is one (shown with `decimals` places); empty stays empty.
    Number {
        /// Decimal places shown.
        decimals: u8,
    },
}

/// The data sheet's name, for the cases of the period.
pub const DATA_SHEET: &str = "Terminations";
/// The data sheet's name, for the population-completeness section.
pub const COMPLETENESS_SHEET: &str = "Completeness";
/// The facts sheet's name.
pub const FACTS_SHEET: &str = "Report";

/// Excel's widest column, in characters.
const MAX_WIDTH: usize = 60;

/// What one workbook holds: the data sheet (its name, header row, column kinds and rows), the
/// facts sheet's (label, value) pairs, and the document's title.
#[derive(Debug, Clone, Copy)]
pub struct Book<'a> {
    /// The data sheet's name ([`DATA_SHEET`] or [`COMPLETENESS_SHEET`]).
    pub sheet: &'a str,
    /// The header row.
    pub header: &'a [String],
    /// How each column's cells are written (as long as `header`).
    pub kinds: &'a [Column],
    /// The rows, each as long as `header`.
    pub rows: &'a [Vec<String>],
    /// The facts, one a row on [`FACTS_SHEET`].
    pub facts: &'a [(&'a str, String)],
    /// The document's title.
    pub title: &'a str,
}

/// Writes the workbook `input` describes: its header and rows on its data sheet, its facts on
/// [`FACTS_SHEET`].
pub fn render(input: &Book<'_>) -> Result<Vec<u8>, XlsxError> {
    let Book {
        sheet,
        header,
        kinds,
        rows,
        facts,
        title,
    } = *input;
    let mut book = Workbook::new();
    // The fastest deflate: the file is made again for every download and every view of the
    // Reports page (which shows its hash), and is a little larger for it.
    book.set_zip_compression_level(1);
    book.set_properties(
        &DocProperties::new()
            .set_title(title)
            .set_author("offboard")
            .set_creation_datetime(&ExcelDateTime::from_ymd(1980, 1, 1)?),
    );
    let bold = Format::new().set_bold();
    let formats: Vec<Option<Format>> = kinds
        .iter()
        .map(|k| match k {
            Column::Text => None,
            Column::Number { decimals: 0 } => Some(Format::new().set_num_format("0")),
            Column::Number { decimals } => Some(
                Format::new().set_num_format(format!("0.{}", "0".repeat(usize::from(*decimals)))),
            ),
        })
        .collect();

    let data = book.add_worksheet();
    data.set_name(sheet)?;
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for (c, h) in header.iter().enumerate() {
        data.write_string_with_format(0, col(c)?, h, &bold)?;
    }
    for (r, cells) in rows.iter().enumerate() {
        let row = u32::try_from(r + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (c, cell) in cells.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let number = match formats.get(c) {
                Some(Some(f)) => cell.parse::<f64>().ok().map(|n| (n, f)),
                _ => None,
            };
            match number {
                Some((n, f)) => data.write_number_with_format(row, col(c)?, n, f)?,
                None => data.write_string(row, col(c)?, cell)?,
            };
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        data.set_column_width(col(c)?, ((*w).min(MAX_WIDTH) + 2) as f64)?;
    }
    data.set_freeze_panes(1, 0)?;
    if !header.is_empty() {
        let last_row = u32::try_from(rows.len()).map_err(|_| XlsxError::RowColumnLimitError)?;
        data.autofilter(0, 0, last_row, col(header.len() - 1)?)?;
    }

    let sheet = book.add_worksheet();
    sheet.set_name(FACTS_SHEET)?;
    sheet.set_column_width(0, 34)?;
    sheet.set_column_width(1, 100)?;
    for (r, (label, value)) in facts.iter().enumerate() {
        let row = u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)?;
        sheet.write_string_with_format(row, 0, *label, &bold)?;
        sheet.write_string(row, 1, value)?;
    }
    book.save_to_buffer()
}

fn col(c: usize) -> Result<u16, XlsxError> {
    u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)
}
