//! `.csv` files: each rank parses only the bytes of its own rows.
//!
//! A shared file is split into byte ranges at line ends (so ranks hold nearly equal bytes, not
//! exactly equal rows). A first line is a header when none of its fields is a number
//! ([`CsvHeader::Auto`]); a first line with some fields numbers and others not is an error
//! naming the field, since taking it for a header would drop a row of data with a typo, and the
//! rows of other files would no longer line up with it. Values are parsed as f64
//! (`nan`, `inf` and `-inf` in any case are accepted); quoted fields and CRLF line ends are
//! understood. Fields holding line breaks are not: split such files by `{rank}` shards.

use std::fs::File;
use std::ops::Range;
use std::path::Path;

use ndarray::Array2;

use super::columns::CsvHeader;
use super::selection::{rows_of, Selection};
use super::table::Storage;
use crate::CliError;

pub(super) fn read(
    path: &Path,
    selection: &Selection,
    header: CsvHeader,
) -> Result<(Storage, bool), CliError> {
    let file = File::open(path).map_err(|e| CliError::file(path, e))?;
    let empty = file.metadata().map(|m| m.len() == 0).unwrap_or(false);
    let map = if empty {
        None
    } else {
        // SAFETY: the map is read-only and dropped before returning.
        let map = unsafe { memmap2::Mmap::map(&file) };
        Some(map.map_err(|e| CliError::file(path, e))?)
    };
    let text: &[u8] = map.as_deref().unwrap_or(&[]);
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);

    let first_line = line_at(text, 0);
    let header_end = match header {
        CsvHeader::Yes => (first_line.end + 1).min(text.len()),
        CsvHeader::No => 0,
        CsvHeader::Auto => match is_header(&text[first_line.clone()]) {
            Ok(true) => (first_line.end + 1).min(text.len()),
            Ok(false) => 0,
            Err(message) => return Err(CliError::file(path, format!("line 1: {message}"))),
        },
    };
    let body = &text[header_end..];
    let bytes = match selection {
        Selection::All => 0..body.len(),
        Selection::Share { rank, size } => {
            let cut = |k: usize| line_start_at_or_after(body, body.len() * k / size);
            cut(*rank)..cut(rank + 1)
        }
        Selection::Aligned { .. } => {
            let rows = rows_of(selection, count_data_lines(body), path)?;
            let starts = data_line_starts(body, rows.end + 1);
            starts[rows.start]..starts[rows.end]
        }
        Selection::Rows(rows) => {
            let starts = data_line_starts(body, rows.end + 1);
            let at = |k: usize| starts.get(k).copied();
            match (at(rows.start), at(rows.end)) {
                (Some(start), Some(end)) => start..end,
                _ => {
                    return Err(CliError::file(
                        path,
                        format!(
                            "has {} data rows, fewer than the features' {} rows (this rank needs rows {}..{})",
                            starts.len().saturating_sub(1),
                            rows.end,
                            rows.start,
                            rows.end
                        ),
                    ))
                }
            }
        }
    };
    let before = body[..bytes.start].iter().filter(|&&b| b == b'\n').count();
    let line_number = |line: usize| usize::from(header_end > 0) + before + line;
    let (rows, width) = parse(&body[bytes.clone()]).map_err(|(line, message)| {
        CliError::file(path, format!("line {}: {message}", line_number(line)))
    })?;
    // Every rank holds the file's width (that of its first data row), so a ragged row is named
    // here rather than found later as ranks disagreeing; a rank whose bytes hold no line has 0
    // rows of that width.
    let file_width = first_data_width(body);
    if width != 0 && width != file_width {
        return Err(CliError::file(
            path,
            format!(
                "line {}: {width} fields, but the first row has {file_width}",
                line_number(1)
            ),
        ));
    }
    let width = file_width;
    let n = rows.len().checked_div(width).unwrap_or(0);
    let array = Array2::from_shape_vec((n, width), rows).map_err(|e| CliError::file(path, e))?;
    Ok((Storage::F64(array), width == 1))
}

/// The number of fields of the first non-blank line of `body` (0 for an empty file).
fn first_data_width(body: &[u8]) -> usize {
    data_line_starts(body, 2)
        .windows(2)
        .next()
        .and_then(|w| parse(&body[w[0]..w[1]]).ok())
        .map_or(0, |(_, width)| width)
}

/// The byte range of the line starting at `start` (without its line end).
fn line_at(text: &[u8], start: usize) -> Range<usize> {
    let end = text[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |p| start + p);
    start..end
}

/// Whether a first line is a header: none of its fields is a number. A line of numbers is
/// data; a line with both is an error naming its first field that is not a number.
fn is_header(line: &[u8]) -> Result<bool, String> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_reader(line);
    let Some(Ok(fields)) = reader.records().next() else {
        return Ok(true);
    };
    let numbers = fields.iter().filter(|f| parse_number(f).is_some()).count();
    if numbers == 0 {
        return Ok(true);
    }
    match fields.iter().position(|f| parse_number(f).is_none()) {
        None => Ok(false),
        Some(column) => Err(format!(
            "column {}: `{}` is not a number, but {numbers} other field(s) of the line are, so it \
             is neither a header (no numbers) nor a row of data; fix the field, or pass \
             --csv-header yes if the line is a header",
            column + 1,
            &fields[column]
        )),
    }
}

/// The first line start at or after byte `at` (0 stays 0; the end stays the end).
fn line_start_at_or_after(text: &[u8], at: usize) -> usize {
    if at == 0 || at >= text.len() {
        return at.min(text.len());
    }
    match text[at - 1..].iter().position(|&b| b == b'\n') {
        Some(p) => at + p,
        None => text.len(),
    }
}

/// Byte offsets where the first `count` non-blank lines start, then the end of the text.
fn data_line_starts(text: &[u8], count: usize) -> Vec<usize> {
    let mut starts = Vec::with_capacity(count.min(1 << 16));
    let mut at = 0;
    while at < text.len() && starts.len() < count {
        let line = line_at(text, at);
        if !text[line.clone()].iter().all(u8::is_ascii_whitespace) {
            starts.push(at);
        }
        at = line.end + 1;
    }
    starts.push(text.len().min(at));
    starts
}

/// The number of non-blank lines of `text`.
fn count_data_lines(text: &[u8]) -> usize {
    text.split(|&b| b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .count()
}

fn parse_number(field: &str) -> Option<f64> {
    let field = field.trim();
    let field = field
        .strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(field)
        .trim();
    field.parse::<f64>().ok()
}

/// Values of the lines of `chunk`, row-major, and the width; errors carry a 1-based line
/// number within the chunk.
fn parse(chunk: &[u8]) -> Result<(Vec<f64>, usize), (usize, String)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(chunk);
    let mut values = Vec::new();
    let mut width = None;
    for record in reader.records() {
        let record = record.map_err(|e| (1, e.to_string()))?;
        let line = record.position().map_or(1, |p| p.line() as usize);
        if width.is_some_and(|w| w != record.len()) {
            return Err((
                line,
                format!(
                    "{} values, earlier rows have {}",
                    record.len(),
                    width.unwrap_or(0)
                ),
            ));
        }
        width = Some(record.len());
        for (column, field) in record.iter().enumerate() {
            let value = parse_number(field).ok_or_else(|| {
                (
                    line,
                    format!("column {}: `{field}` is not a number", column + 1),
                )
            })?;
            values.push(value);
        }
    }
    Ok((values, width.unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_cuts_fall_on_line_starts_and_cover_every_line() {
        let text = b"1,2\n3,4\n5,6\n7,8\n";
        for size in 1..6 {
            let cuts: Vec<usize> = (0..=size)
                .map(|k| line_start_at_or_after(text, text.len() * k / size))
                .collect();
            let mut rows = 0;
            for w in cuts.windows(2) {
                let (values, _) = parse(&text[w[0]..w[1]]).unwrap();
                rows += values.len() / 2;
            }
            assert_eq!(rows, 4, "{size} ranks");
        }
    }

    #[test]
    fn headers_quotes_crlf_and_special_values() {
        assert_eq!(is_header(b"a,b"), Ok(true));
        assert_eq!(is_header(b"\"a, b\",c\r"), Ok(true));
        assert_eq!(is_header(b"1, \"2\""), Ok(false));
        assert_eq!(is_header(b"nan,-inf,3"), Ok(false));
        assert_eq!(is_header(b""), Ok(false));
        let (values, width) = parse(b"1,\"2\"\r\nNaN,-inf\r\n").unwrap();
        assert_eq!(width, 2);
        assert_eq!(values[..2], [1.0, 2.0]);
        assert!(values[2].is_nan() && values[3] == f64::NEG_INFINITY);
        assert!(parse(b"1,2\n3\n").is_err());
        assert!(parse(b"1,x\n").is_err());
    }

    #[test]
    fn a_first_line_with_a_typo_is_an_error_not_a_header() {
        let err = is_header(b"0.5,1.2x,0.3").unwrap_err();
        assert!(err.starts_with("column 2: `1.2x` is not a number"), "{err}");
        assert!(err.contains("--csv-header yes"), "{err}");
        let err = is_header(b"1,,3").unwrap_err();
        assert!(err.starts_with("column 2: `` is not a number"), "{err}");
    }

    #[test]
    fn a_rank_with_no_lines_gets_the_width_of_the_file() {
        assert_eq!(first_data_width(b"\n1,2,3\n4,5,6\n"), 3);
        assert_eq!(first_data_width(b""), 0);
    }

    #[test]
    fn data_rows_skip_blank_lines() {
        let starts = data_line_starts(b"1\n\n2\n3", 10);
        assert_eq!(starts, [0, 3, 5, 6]);
        assert_eq!(count_data_lines(b"1\n\n2\n3"), 3);
        assert_eq!(count_data_lines(b"1\r\n \n2\n"), 2);
        assert_eq!(count_data_lines(b""), 0);
    }
}
