//! Media limits (Meta's Cloud API media reference, "Supported media types"): which MIME types each kind of media
//! message accepts and how large a file may be, checked before an upload leaves MCE and
//! before an inbound file is downloaded.

use super::outbound::MediaKind;
use crate::ParseError;

/// The largest inbound file Meta delivers (above it the webhook carries 131052 instead).
pub const INBOUND_MAX_BYTES: u64 = 100 * MB;

const MB: u64 = 1024 * 1024;

/// The largest multipart upload body read (Meta's 100 MB document limit plus the form).
pub const MAX_UPLOAD_BODY_BYTES: usize = 100 * 1024 * 1024 + 64 * 1024;

/// The MIME types Meta accepts, with the kind they are sent as.
const ACCEPTED: &[(&str, MediaKind)] = &[
    ("audio/aac", MediaKind::Audio),
    ("audio/amr", MediaKind::Audio),
    ("audio/mpeg", MediaKind::Audio),
    ("audio/mp4", MediaKind::Audio),
    ("audio/ogg", MediaKind::Audio),
    ("text/plain", MediaKind::Document),
    ("application/pdf", MediaKind::Document),
    ("application/msword", MediaKind::Document),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", MediaKind::Document),
    ("application/vnd.ms-excel", MediaKind::Document),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", MediaKind::Document),
    ("application/vnd.ms-powerpoint", MediaKind::Document),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", MediaKind::Document),
    ("image/jpeg", MediaKind::Image),
    ("image/png", MediaKind::Image),
    ("image/webp", MediaKind::Sticker),
    ("video/mp4", MediaKind::Video),
    ("video/3gpp", MediaKind::Video),
];

/// The MIME type without parameters, lower-cased (`audio/ogg; codecs=opus` → `audio/ogg`).
pub fn essence(mime: &str) -> String {
    mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// The kind of message a file of this MIME type is sent as, if Meta accepts the type.
pub fn kind_for(mime: &str) -> Option<MediaKind> {
    let e = essence(mime);
    ACCEPTED.iter().find(|(m, _)| *m == e).map(|(_, k)| *k)
}

/// The largest file of this kind Meta accepts for sending.
pub fn max_bytes(kind: MediaKind) -> u64 {
    match kind {
        MediaKind::Image => 5 * MB,
        MediaKind::Video | MediaKind::Audio => 16 * MB,
        MediaKind::Document => 100 * MB,
        // Animated stickers may be 500 KB; static ones only 100 KB, which Meta checks.
        MediaKind::Sticker => 500 * 1024,
    }
}

/// Checks a file before upload: a type Meta accepts, not empty, within the kind's limit.
/// Returns the kind it will be sent as.
pub fn check_upload(mime: &str, size: u64) -> Result<MediaKind, ParseError> {
    let Some(kind) = kind_for(mime) else {
        return Err(ParseError::new(format!(
            "WhatsApp does not accept files of type {:?}: send JPEG or PNG images, MP4 or 3GPP video, AAC/AMR/MP3/MP4/OGG audio, WebP stickers, or PDF, text and Office documents.",
            essence(mime)
        )));
    };
    if size == 0 {
        return Err(ParseError::new("The file is empty."));
    }
    let max = max_bytes(kind);
    if size > max {
        return Err(ParseError::new(format!("A {} may be at most {} (this file is {}).", kind.as_str(), human_size(max), human_size(size))));
    }
    Ok(kind)
}

/// A byte count for people: `512 B`, `100 KB`, `5 MB`, `1.5 MB`.
pub fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < MB {
        format!("{} KB", (bytes as f64 / 1024.0).round() as u64)
    } else {
        let mb = bytes as f64 / MB as f64;
        if (mb - mb.round()).abs() < 0.05 {
            format!("{} MB", mb.round() as u64)
        } else {
            format!("{mb:.1} MB")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_accepted_type_is_sent_as_its_kind() {
        assert_eq!(kind_for("image/png"), Some(MediaKind::Image));
        assert_eq!(kind_for("Audio/OGG; codecs=opus"), Some(MediaKind::Audio));
        assert_eq!(kind_for("application/pdf"), Some(MediaKind::Document));
        assert_eq!(kind_for("image/webp"), Some(MediaKind::Sticker));
        assert_eq!(kind_for("image/gif"), None);
        assert_eq!(kind_for("application/x-msdownload"), None);
    }

    #[test]
    fn files_over_their_kinds_limit_or_of_other_types_are_refused_with_the_reason() {
        assert_eq!(check_upload("image/jpeg", 5 * MB), Ok(MediaKind::Image));
        let e = check_upload("image/jpeg", 5 * MB + 1).unwrap_err();
        assert!(e.to_string().contains("image may be at most 5 MB"), "{e}");
        assert_eq!(check_upload("video/mp4", 16 * MB), Ok(MediaKind::Video));
        assert!(check_upload("video/mp4", 16 * MB + 1).is_err());
        assert_eq!(check_upload("application/pdf", 100 * MB), Ok(MediaKind::Document));
        assert!(check_upload("application/pdf", 100 * MB + 1).is_err());
        assert!(check_upload("image/webp", 500 * 1024 + 1).is_err());
        assert!(check_upload("image/gif", 10).unwrap_err().to_string().contains("image/gif"));
        assert!(check_upload("text/plain", 0).unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(100 * 1024), "100 KB");
        assert_eq!(human_size(5 * MB), "5 MB");
        assert_eq!(human_size(3 * MB / 2), "1.5 MB");
    }
}
