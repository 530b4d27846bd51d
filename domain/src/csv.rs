//! CSV as spreadsheets write it (RFC 4180 and what Excel does instead): a reader that
//! strips the BOM, guesses the delimiter, handles quoted fields with `""` and line breaks,
//! and reads Windows-1252 files; and a writer for exports that neutralises cells a
//! spreadsheet would run as formulas.

use std::borrow::Cow;

/// One record and the line it starts on (1-based), for error reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// A record that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CsvError {
    pub line: usize,
    pub message: String,
}

/// The text of a file: UTF-8 (BOM removed), else Windows-1252 as older Excel exports are.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| windows_1252(b)).collect()),
    }
}

fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

/// The delimiter of a file: whichever of `,` `;` tab `|` appears most in its first line
/// outside quotes (`,` when none does).
pub fn sniff_delimiter(text: &str) -> char {
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = [',', ';', '\t', '|'].iter().position(|d| *d == c) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], std::cmp::Reverse(i))).unwrap_or(0);
    if counts[best] == 0 { ',' } else { [',', ';', '\t', '|'][best] }
}

/// Reads records one at a time from text (BOM already removed by [`decode_text`]).
pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    delimiter: char,
}

impl<'a> Reader<'a> {
    /// A reader with the delimiter sniffed from the first line.
    pub fn new(text: &'a str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Self { text, pos: 0, line: 1, delimiter: sniff_delimiter(text) }
    }

    /// The delimiter in use.
    pub fn delimiter(&self) -> char {
        self.delimiter
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Record, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.read_one()? {
                // A blank line is not a record (spreadsheets leave them at the end).
                Ok(r) if r.fields.len() == 1 && r.fields[0].trim().is_empty() => continue,
                other => return Some(other),
            }
        }
    }
}

impl Reader<'_> {
    fn read_one(&mut self) -> Option<Result<Record, CsvError>> {
        let rest = &self.text[self.pos..];
        if rest.is_empty() {
            return None;
        }
        let start_line = self.line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = rest.char_indices().peekable();
        let mut quoted = false;
        let mut was_quoted = false;
        let mut consumed = rest.len();
        while let Some((i, c)) = chars.next() {
            if quoted {
                match c {
                    '"' if chars.peek().map(|(_, n)| *n) == Some('"') => {
                        field.push('"');
                        chars.next();
                    }
                    '"' => quoted = false,
                    // A CRLF inside a cell is one line break, as in LF files.
                    '\r' if chars.peek().map(|(_, n)| *n) == Some('\n') => {}
                    '\n' => {
                        self.line += 1;
                        field.push('\n');
                    }
                    _ => field.push(c),
                }
                continue;
            }
            match c {
                '"' if field.is_empty() && !was_quoted => {
                    quoted = true;
                    was_quoted = true;
                }
                c if c == self.delimiter => {
                    fields.push(std::mem::take(&mut field));
                    was_quoted = false;
                }
                '\r' if chars.peek().map(|(_, n)| *n) == Some('\n') => {}
                '\n' | '\r' => {
                    self.line += 1;
                    consumed = i + 1;
                    break;
                }
                _ => field.push(c),
            }
        }
        if quoted {
            self.pos = self.text.len();
            return Some(Err(CsvError { line: start_line, message: "a quoted field is never closed (a \" is missing)".into() }));
        }
        fields.push(field);
        self.pos += consumed;
        Some(Ok(Record { line: start_line, fields }))
    }
}

/// Builds a CSV file for spreadsheets: UTF-8 with a BOM (so Excel reads accents), `,`
/// delimiters, CRLF line ends.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    /// An empty file (the BOM is written first).
    pub fn new() -> Self {
        Self { out: String::from('\u{feff}') }
    }

    /// Appends one row.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(&cell(c.as_ref()));
        }
        self.out.push_str("\r\n");
    }

    /// The file's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out.into_bytes()
    }
}

/// One cell: a value a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`, tab or CR) gets a leading `'` (OWASP's advice for CSV injection); quoted when it
/// holds the delimiter, a quote or a line break.
pub fn cell(value: &str) -> String {
    let v: Cow<str> = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { Cow::Owned(format!("'{value}")) } else { Cow::Borrowed(value) };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Vec<String>> {
        Reader::new(text).map(|r| r.unwrap().fields).collect()
    }

    #[test]
    fn a_bom_and_crlf_line_ends_are_handled() {
        let text = decode_text(b"\xEF\xBB\xBFphone,name\r\n+551199,Ana\r\n");
        assert_eq!(read(&text), vec![vec!["phone", "name"], vec!["+551199", "Ana"]]);
    }

    #[test]
    fn semicolons_tabs_and_pipes_are_sniffed_from_the_first_line() {
        assert_eq!(read("a;b\n1;2,5\n"), vec![vec!["a", "b"], vec!["1", "2,5"]]);
        assert_eq!(Reader::new("a\tb\n").delimiter(), '\t');
        assert_eq!(Reader::new("a|b|c\n").delimiter(), '|');
        assert_eq!(Reader::new("single\n").delimiter(), ',');
    }

    #[test]
    fn quoted_fields_keep_delimiters_quotes_and_line_breaks_and_lines_are_counted() {
        let recs: Vec<Record> = Reader::new("name,note\n\"Lima, Ana\",\"said \"\"hi\"\"\nthen left\"\nBea,ok\n").map(Result::unwrap).collect();
        assert_eq!(recs[1].fields, vec!["Lima, Ana", "said \"hi\"\nthen left"]);
        assert_eq!((recs[1].line, recs[2].line), (2, 4));
    }

    #[test]
    fn ragged_rows_and_blank_lines_are_read_as_they_are() {
        assert_eq!(read("a,b,c\n1\n\n2,3,4,5\n\n"), vec![vec!["a", "b", "c"], vec!["1"], vec!["2", "3", "4", "5"]]);
    }

    #[test]
    fn an_unclosed_quote_is_an_error_with_its_line() {
        let out: Vec<_> = Reader::new("a\nok\n\"broken,\nstill\n").collect();
        assert_eq!(out[2], Err(CsvError { line: 3, message: "a quoted field is never closed (a \" is missing)".into() }));
    }

    #[test]
    fn windows_1252_files_are_decoded() {
        assert_eq!(decode_text(b"Jos\xe9,S\xe3o Paulo \x80"), "José,São Paulo €");
    }

    #[test]
    fn exported_cells_that_look_like_formulas_are_neutralised() {
        for (raw, safe) in [("=1+1", "'=1+1"), ("+55119", "'+55119"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx")] {
            assert_eq!(cell(raw), safe, "{raw:?}");
        }
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }

    #[test]
    fn what_the_writer_writes_the_reader_reads_back() {
        let mut w = Writer::new();
        w.row(&["name", "note"]);
        w.row(&["Lima, Ana", "two\nlines \"quoted\""]);
        let bytes = w.into_bytes();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = decode_text(&bytes);
        assert_eq!(read(&text), vec![vec!["name", "note"], vec!["Lima, Ana", "two\nlines \"quoted\""]]);
    }
}
