//! CSV as spreadsheets write it (RFC 4180 and what Excel does instead): a reader that
//! strips the BOM, guesses the delimiter, handles quoted fields with `""` and line breaks,
//! and reads Windows-1252 and UTF-16 files; and a writer for exports that neutralises
//! cells a spreadsheet would run as formulas.
//!
//! The reader is an iterator over text the caller holds (an upload is at most 50 MB): it
//! keeps one record at a time, never the whole table, so a 100k-row import costs the
//! file plus one row.

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

/// The text of a file: UTF-8 (BOM removed); UTF-16 when it starts with a UTF-16 BOM
/// (Excel's "Unicode text" export); else Windows-1252, as older Excel exports are. Latin-1
/// is Windows-1252 without the 0x80–0x9F printable characters, so it decodes the same.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(text) = decode_utf16(bytes) {
        return Cow::Owned(text);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| windows_1252(b)).collect()),
    }
}

/// UTF-16 text with a byte-order mark, or `None` without one. Unpaired surrogates
/// become U+FFFD rather than failing the whole file.
fn decode_utf16(bytes: &[u8]) -> Option<String> {
    let (body, little) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (rest, true),
        [0xFE, 0xFF, rest @ ..] => (rest, false),
        _ => return None,
    };
    let units = body.chunks_exact(2).map(|p| if little { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) });
    Some(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect())
}

fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™',
        'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
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
    if counts[best] == 0 {
        ','
    } else {
        [',', ';', '\t', '|'][best]
    }
}

/// The name the import code uses for [`Reader`].
pub type CsvReader<'a> = Reader<'a>;

/// Reads records one at a time from text (decoded with [`decode_text`]), yielding each
/// record or the error that stops the file. Blank lines are skipped (spreadsheets leave
/// them at the end); rows may have any number of fields (ragged rows are the caller's to
/// judge). A `"` only opens a quoted field at the start of a field; elsewhere it is kept
/// as a character, as spreadsheets do.
pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    delimiter: char,
}

impl<'a> Reader<'a> {
    /// A reader with the delimiter sniffed from the first line (see [`sniff_delimiter`]).
    pub fn new(text: &'a str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Self::with_delimiter(text, sniff_delimiter(text))
    }

    /// A reader with a delimiter the caller chose (for instance after asking the person).
    pub fn with_delimiter(text: &'a str, delimiter: char) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Self { text, pos: 0, line: 1, delimiter }
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

/// The longest cell a file may have, in characters: a spreadsheet's own limit (Excel
/// holds at most 32,767 per cell). Longer ones are refused with their line, so a stray
/// quote cannot turn the rest of a 50 MB file into one cell.
pub const MAX_FIELD_CHARS: usize = 32_767;
/// The longest record (one row, with its quoted line breaks), in bytes.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;
/// The most cells a record may have.
pub const MAX_FIELDS: usize = 1_000;

impl Reader<'_> {
    /// Ends reading with an error about the record that starts on `line`.
    fn refuse(&mut self, line: usize, message: String) -> Option<Result<Record, CsvError>> {
        self.pos = self.text.len();
        Some(Err(CsvError { line, message }))
    }

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
        let mut field_chars = 0usize;
        while let Some((i, c)) = chars.next() {
            field_chars += 1;
            if field_chars > MAX_FIELD_CHARS {
                return self.refuse(start_line, format!("a cell is longer than {MAX_FIELD_CHARS} characters"));
            }
            if i > MAX_RECORD_BYTES {
                return self.refuse(start_line, "a row is longer than 256 KB".to_owned());
            }
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
                    field_chars = 0;
                    if fields.len() >= MAX_FIELDS {
                        return self.refuse(start_line, format!("a row has more than {MAX_FIELDS} cells"));
                    }
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

/// The name older code uses for [`CsvWriter`].
pub type Writer = CsvWriter;

/// Builds a CSV file for spreadsheets: UTF-8 with a BOM (so Excel reads accents), `,`
/// delimiters, CRLF line ends, every cell through [`cell`] (quoted when needed, formulas
/// neutralised).
#[derive(Debug)]
pub struct CsvWriter {
    out: String,
}

impl Default for CsvWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvWriter {
    /// An empty file (the BOM is written first).
    pub fn new() -> Self {
        Self { out: String::from('\u{feff}') }
    }

    /// More rows of a file whose start (and BOM) was written already: for exports sent a
    /// piece at a time.
    pub fn continuation() -> Self {
        Self { out: String::new() }
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

    /// The file as text (BOM included).
    pub fn as_str(&self) -> &str {
        &self.out
    }
}

/// One cell: a value a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`, tab or CR) gets a leading `'` (OWASP's advice for CSV injection); quoted when it
/// holds a quote, a line break, or any delimiter a reader might sniff (`,` `;` tab `|`),
/// so that a file whose first line has a lone tab still reads back as comma-separated.
pub fn cell(value: &str) -> String {
    let v: Cow<str> = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { Cow::Owned(format!("'{value}")) } else { Cow::Borrowed(value) };
    if v.contains([',', ';', '\t', '|', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.into_owned()
    }
}

/// Undoes [`cell`]'s neutralisation on a cell read back from one of our exports: a `'`
/// followed by `=`, `+`, `-`, `@`, tab or CR is dropped, so that an exported
/// `'+5511999990000` imports as the phone it was. Other leading quotes are kept.
pub fn strip_formula_guard(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => value,
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
    fn over_long_cells_rows_and_too_many_cells_are_refused_with_their_line() {
        let long_cell = format!("a,b\n1,{}\n", "x".repeat(MAX_FIELD_CHARS + 1));
        let out: Vec<_> = Reader::new(&long_cell).collect();
        assert_eq!(out[1].as_ref().unwrap_err().line, 2);
        assert!(out[1].as_ref().unwrap_err().message.contains("longer than 32767"), "{:?}", out[1]);
        assert_eq!(out.len(), 2, "reading stops at the refused record");
        let ok_cell = format!("a,b\n1,{}\n", "x".repeat(MAX_FIELD_CHARS - 1));
        assert!(Reader::new(&ok_cell).all(|r| r.is_ok()), "a cell at the limit is read");
        // A stray quote would otherwise swallow the rest of the file into one cell.
        let stray = format!("a,b\n1,\"{}\n", "row,2\n".repeat(10_000));
        assert!(Reader::new(&stray).nth(1).unwrap().unwrap_err().message.contains("longer than"));
        let wide_row = format!("a\n{}\n", vec!["c"; MAX_FIELDS + 1].join(","));
        assert!(Reader::new(&wide_row).nth(1).unwrap().unwrap_err().message.contains("more than 1000 cells"));
        let long_row = format!("a\n{}\n", vec!["y".repeat(1000); 300].join(","));
        assert!(Reader::new(&long_row).nth(1).unwrap().unwrap_err().message.contains("256 KB"));
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
        for (raw, safe) in [("=1+1", "'=1+1"), ("+55119", "'+55119"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "\"'\tx\"")] {
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

    #[test]
    fn tab_and_pipe_files_keep_commas_inside_fields() {
        assert_eq!(read("name\tnote\nAna\tsays hi, bye\n"), vec![vec!["name", "note"], vec!["Ana", "says hi, bye"]]);
        assert_eq!(read("a|b\n1|2,3\n"), vec![vec!["a", "b"], vec!["1", "2,3"]]);
    }

    #[test]
    fn a_delimiter_inside_quotes_on_the_first_line_does_not_count() {
        assert_eq!(sniff_delimiter("\"a;b;c\",d\n"), ',');
        assert_eq!(Reader::with_delimiter("a;b\n", ',').next().unwrap().unwrap().fields, ["a;b"]);
    }

    #[test]
    fn crlf_inside_quotes_is_one_line_break_and_lines_are_still_counted() {
        let recs: Vec<Record> = Reader::new("a,b\r\n\"x\r\ny\",2\r\nz,3\r\n").map(Result::unwrap).collect();
        assert_eq!(recs[1].fields, ["x\ny", "2"]);
        assert_eq!(recs.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 2, 4]);
    }

    #[test]
    fn old_mac_line_ends_and_a_missing_final_line_end_are_read() {
        assert_eq!(read("a,b\r1,2\r3,4"), vec![vec!["a", "b"], vec!["1", "2"], vec!["3", "4"]]);
    }

    #[test]
    fn empty_and_quoted_empty_fields_are_kept() {
        assert_eq!(read("a,b,c\n,\"\",x\n"), vec![vec!["a", "b", "c"], vec!["", "", "x"]]);
    }

    #[test]
    fn blank_lines_in_the_middle_keep_the_line_numbers_of_what_follows() {
        let lines: Vec<usize> = Reader::new("h\n\n\nx\n").map(|r| r.unwrap().line).collect();
        assert_eq!(lines, [1, 4]);
    }

    #[test]
    fn the_error_of_an_unclosed_quote_says_where_it_starts_even_after_quoted_line_breaks() {
        let out: Vec<_> = Reader::new("a,b\n\"one\ntwo\",2\n3,\"never closed\n\n").collect();
        assert_eq!(out[1].as_ref().unwrap().line, 2);
        assert_eq!(out[2].as_ref().unwrap_err().line, 4);
        assert_eq!(out.len(), 3, "the reader stops after the error");
    }

    #[test]
    fn utf16_files_from_excel_unicode_text_are_decoded() {
        let mut le = vec![0xFF, 0xFE];
        le.extend("nome\tJosé\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode_text(&le), "nome\tJosé\n");
        let mut be = vec![0xFE, 0xFF];
        be.extend("São".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode_text(&be), "São");
    }

    #[test]
    fn latin1_text_with_accents_is_decoded_and_utf8_is_borrowed() {
        assert_eq!(decode_text(b"Nome;Observa\xe7\xf5es\r\nJo\xe3o;\xc1gua"), "Nome;Observações\r\nJoão;Água");
        assert!(matches!(decode_text("já".as_bytes()), Cow::Borrowed("já")));
    }

    #[test]
    fn every_dangerous_first_character_is_neutralised_and_undone_on_import() {
        for c in ['=', '+', '-', '@', '\t', '\r'] {
            let raw = format!("{c}cmd");
            let mut w = CsvWriter::new();
            w.row(&[raw.as_str()]);
            let text = decode_text(w.as_str().as_bytes()).into_owned();
            let back = Reader::new(&text).next().unwrap().unwrap().fields.remove(0);
            assert_eq!(back, format!("'{raw}"), "{c:?}");
            assert_eq!(strip_formula_guard(&back), raw);
        }
        assert_eq!(strip_formula_guard("'quoted"), "'quoted");
        assert_eq!(cell("safe=1"), "safe=1");
    }

    #[test]
    fn the_writer_uses_crlf_and_a_bom_and_its_default_too() {
        let mut w = CsvWriter::default();
        w.row(&["a", "b"]);
        w.row(&["c", ""]);
        assert_eq!(w.as_str(), "\u{feff}a,b\r\nc,\r\n");
    }

    #[test]
    fn a_large_file_streams_row_by_row() {
        let mut text = String::from("phone,name\n");
        for i in 0..200_000 {
            text.push_str(&format!("+4479{i:08},\"Lead, {i}\"\n"));
        }
        let mut n = 0;
        let mut last = None;
        for r in Reader::new(&text) {
            let r = r.unwrap();
            n += 1;
            last = Some(r);
        }
        assert_eq!(n, 200_001);
        assert_eq!(last.unwrap(), Record { line: 200_001, fields: vec!["+447900199999".into(), "Lead, 199999".into()] });
    }
}
