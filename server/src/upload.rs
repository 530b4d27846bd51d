//! Reading `multipart/form-data` uploads (the REST media API, the composer's attachments,
//! CSV imports): the text fields and the one file part, or nothing if the body is not a
//! readable form (too large, cut off, not multipart) — the caller words the error.

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::Multipart;
use std::collections::HashMap;

/// The file part of a form.
pub struct FilePart {
    /// The name the browser gave, if any.
    pub name: Option<String>,
    /// The part's content type, if any.
    pub mime: Option<String>,
    pub bytes: Bytes,
}

/// A form's text fields by name and its `file_field` part.
pub struct Form {
    pub fields: HashMap<String, String>,
    pub file: Option<FilePart>,
}

impl Form {
    /// A text field, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.fields.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }
}

/// Reads every part; `Err(())` when the body cannot be read as a form.
pub async fn read(form: Result<Multipart, MultipartRejection>, file_field: &str) -> Result<Form, ()> {
    let mut form = form.map_err(|_| ())?;
    let mut out = Form { fields: HashMap::new(), file: None };
    while let Some(field) = form.next_field().await.map_err(|_| ())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == file_field {
            let (file_name, mime) = (field.file_name().map(str::to_owned), field.content_type().map(str::to_owned));
            let bytes = field.bytes().await.map_err(|_| ())?;
            out.file = Some(FilePart { name: file_name, mime, bytes });
        } else if let Ok(text) = field.text().await {
            out.fields.insert(name, text);
        }
    }
    Ok(out)
}
