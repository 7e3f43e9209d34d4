//! Uploaded files as the imports and feeds read them: gunzipped when compressed, transcoded from GB18030 (as Excel
//! writes it) when not UTF-8, line ends made LF, streamed in blocks and never held whole in memory.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

use crate::error::AppError;
use domain::ErrorCode;

/// Turns the spooled upload into a UTF-8 CSV file: gunzips `.gz` content and transcodes GB18030 (as Excel
/// writes it) when the bytes are not UTF-8. Streams in 64 KiB blocks. Content that unpacks to more than `limit`
/// bytes (a gzip bomb) is refused with 413 `file_too_large` before anything is written to `out`.
pub fn normalise(raw: &Path, out: &Path, limit: u64) -> Result<(), AppError> {
    let out = std::io::BufWriter::new(File::create(out).map_err(AppError::internal)?);
    normalise_from(|| File::open(raw), out, limit)
}

/// [`normalise`] of bytes in memory, written to `out` (the same code: the file is only read through `open`).
pub fn normalise_bytes(raw: &[u8], out: &mut Vec<u8>, limit: u64) -> Result<(), AppError> {
    normalise_from(|| Ok(raw), out, limit)
}

/// What [`normalise`] does, reading the input through `open`, which starts it afresh from its first byte each
/// time it is called (the input is read twice: to tell UTF-8 from GB18030 and measure it, then to convert it).
fn normalise_from<R: Read>(open: impl Fn() -> std::io::Result<R>, out: impl Write, limit: u64) -> Result<(), AppError> {
    let mut probe = [0u8; 2];
    let mut file = open().map_err(AppError::internal)?;
    let n = file.read(&mut probe).map_err(AppError::internal)?;
    let gzip = n == 2 && probe == [0x1f, 0x8b];
    let (utf8, size) = is_utf8(&mut content(open().map_err(AppError::internal)?, gzip).take(limit.saturating_add(1)))?;
    if size > limit {
        return Err(AppError::unpacked_too_large(limit));
    }
    let mut reader = content(open().map_err(AppError::internal)?, gzip).take(limit);
    let mut writer = LfWriter { out, cr: false };
    let mut decoder = (!utf8).then(|| encoding_rs::GB18030.new_decoder_without_bom_handling());
    let mut buf = vec![0u8; 64 * 1024];
    let mut text = String::with_capacity(128 * 1024);
    loop {
        let read = reader.read(&mut buf).map_err(unreadable)?;
        match &mut decoder {
            None => writer.write_all(&buf[..read]).map_err(AppError::internal)?,
            Some(d) => {
                text.clear();
                text.reserve(d.max_utf8_buffer_length(read).unwrap_or(read * 3));
                let _ = d.decode_to_string(&buf[..read], &mut text, read == 0);
                writer.write_all(text.as_bytes()).map_err(AppError::internal)?;
            }
        }
        if read == 0 {
            break;
        }
    }
    writer.finish().map_err(AppError::internal)
}

/// The content of a file: gunzipped when it is gzip, every member of it (`cat a.gz b.gz`, pigz and bgzip write
/// several; a single-member decoder would stop silently after the first).
fn content<'a, R: Read + 'a>(file: R, gzip: bool) -> Box<dyn Read + 'a> {
    if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    }
}

/// Writes text with CRLF line ends turned into LF, so that line numbers count the same for files saved on
/// Windows (the CSV reader reports a record after CRLF as starting on the line before).
struct LfWriter<W: Write> {
    out: W,
    cr: bool,
}

impl<W: Write> LfWriter<W> {
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if self.cr {
                self.cr = false;
                if b != b'\n' {
                    self.out.write_all(b"\r")?;
                }
            }
            if b == b'\r' {
                self.out.write_all(&bytes[start..i])?;
                start = i + 1;
                self.cr = true;
            }
        }
        self.out.write_all(&bytes[start..])
    }

    fn finish(mut self) -> std::io::Result<()> {
        if self.cr {
            self.out.write_all(b"\r")?;
        }
        self.out.flush()
    }
}

pub(crate) fn unreadable(e: std::io::Error) -> AppError {
    AppError::with(ErrorCode::UnreadableFile, format!("文件无法读取：{e}"), format!("the file cannot be read: {e}"))
}

/// Whether the whole stream is UTF-8, and its length.
fn is_utf8(reader: &mut dyn Read) -> Result<(bool, u64), AppError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    let mut size = 0u64;
    let mut utf8 = true;
    loop {
        let read = reader.read(&mut buf).map_err(unreadable)?;
        size += read as u64;
        if read == 0 {
            return Ok((utf8 && carry.is_empty(), size));
        }
        if !utf8 {
            continue;
        }
        carry.extend_from_slice(&buf[..read]);
        match std::str::from_utf8(&carry) {
            Ok(_) => carry.clear(),
            Err(e) if e.error_len().is_none() => {
                let rest = carry.split_off(e.valid_up_to());
                carry = rest;
            }
            Err(_) => {
                utf8 = false;
                carry.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_file(raw: &[u8]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let (input, output) = (dir.path().join("raw"), dir.path().join("out"));
        std::fs::write(&input, raw).unwrap();
        normalise(&input, &output, u64::MAX).unwrap();
        std::fs::read(&output).unwrap()
    }

    #[test]
    fn files_and_bytes_normalise_alike() {
        let text = "姓名,公民身份号码\r\n张三,350203195501010016\r\nno\rcr\n";
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let want = "姓名,公民身份号码\n张三,350203195501010016\nno\rcr\n".as_bytes();
        for raw in [text.as_bytes(), &gb, &gz] {
            let mut bytes = Vec::new();
            normalise_bytes(raw, &mut bytes, u64::MAX).unwrap();
            assert_eq!(bytes, want);
            assert_eq!(from_file(raw), want);
        }
        let mut out = Vec::new();
        let err = normalise_bytes(&gz[..gz.len() / 2], &mut out, u64::MAX).unwrap_err();
        assert_eq!(err.code(), "unreadable_file");
    }

    // issue 21.5: `cat header.gz rows.gz` (and what pigz and bgzip write) is one file of several gzip members;
    // every member is read, not only the first.
    #[test]
    fn every_gzip_member_is_read() {
        let member = |text: &str| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(text.as_bytes()).unwrap();
            gz.finish().unwrap()
        };
        let mut raw = member("name,id_number\n");
        raw.extend(member("张三,350203195501010016\n"));
        raw.extend(member("李四,350203195501010024\n"));
        let mut out = Vec::new();
        normalise_bytes(&raw, &mut out, u64::MAX).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "name,id_number\n张三,350203195501010016\n李四,350203195501010024\n"
        );
        assert_eq!(from_file(&raw), "name,id_number\n张三,350203195501010016\n李四,350203195501010024\n".as_bytes());
    }

    fn run(bytes: &[u8], limit: u64) -> Result<String, String> {
        let dir = tempfile::tempdir().unwrap();
        let (raw, out) = (dir.path().join("raw"), dir.path().join("out"));
        std::fs::write(&raw, bytes).unwrap();
        normalise(&raw, &out, limit).map_err(|e| e.code().to_owned())?;
        Ok(std::fs::read_to_string(out).unwrap())
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_bombs_are_refused_before_anything_is_written() {
        let bomb = gzip(&vec![b'0'; 4 << 20]);
        assert!(bomb.len() < 64 * 1024);
        assert_eq!(run(&bomb, 1 << 20), Err("file_too_large".to_owned()));
        // At the limit exactly it is read.
        assert_eq!(run(&gzip(&vec![b'a'; 1 << 20]), 1 << 20).map(|t| t.len()), Ok(1 << 20));
    }

    #[test]
    fn gb18030_and_crlf_are_still_normalised() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("代码,名称\r\n350203,思明区\r\n");
        assert_eq!(run(&bytes, 1 << 20), Ok("代码,名称\n350203,思明区\n".to_owned()));
        assert_eq!(run(&gzip(&bytes), 1 << 20), Ok("代码,名称\n350203,思明区\n".to_owned()));
    }
}
