//! Contact import (INGEST-1): which contact field each CSV column fills, guessed from the
//! header in English, Portuguese or Spanish and confirmed by the person importing, and
//! what to do with phones that are already contacts.

use serde::{Deserialize, Serialize};

/// The largest file an import takes.
pub const MAX_IMPORT_BYTES: usize = 50 * 1024 * 1024;
/// The most rows an import takes.
pub const MAX_IMPORT_ROWS: usize = 100_000;

/// What a phone that is already a contact does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicatePolicy {
    /// Leave the existing contact as it is (the row counts as skipped).
    Skip,
    /// Fill in the row's non-empty values and add its tags.
    Update,
    /// Only create: a row whose phone is already a contact is reported in the error file.
    Create,
}

impl DuplicatePolicy {
    /// Parses `skip`, `update` or `create`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "skip" => Some(Self::Skip),
            "update" => Some(Self::Update),
            "create" => Some(Self::Create),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skip => "skip",
            Self::Update => "update",
            Self::Create => "create",
        }
    }
}

/// The built-in fields a column can fill; custom fields are `custom:<key>`, and
/// `ignore` leaves a column out.
pub const TARGETS: [&str; 13] =
    ["phone", "name", "first_name", "last_name", "email", "company", "tags", "lead_status", "lifecycle_stage", "opt_in_status", "birthday", "notes", "ignore"];

/// Header words per target, compared without case, accents, spaces, `_` or `-`.
const SYNONYMS: [(&str, &[&str]); 12] = [
    (
        "phone",
        &[
            "phone",
            "phonenumber",
            "mobile",
            "mobilephone",
            "cell",
            "cellphone",
            "whatsapp",
            "whatsappnumber",
            "tel",
            "telephone",
            "telefone",
            "celular",
            "telefono",
            "numero",
            "number",
            "msisdn",
            "contactnumber",
        ],
    ),
    ("first_name", &["firstname", "givenname", "first", "primeironome", "nombrepila"]),
    ("last_name", &["lastname", "surname", "familyname", "last", "sobrenome", "apellido", "apellidos"]),
    ("name", &["name", "fullname", "contactname", "nome", "nomecompleto", "nombre", "nombrecompleto", "customer", "cliente"]),
    ("email", &["email", "emailaddress", "mail", "correo", "correoelectronico"]),
    ("company", &["company", "companyname", "organisation", "organization", "business", "empresa", "compania"]),
    ("tags", &["tags", "tag", "labels", "label", "etiquetas", "etiqueta", "segmento"]),
    ("lead_status", &["leadstatus", "status", "estado"]),
    ("lifecycle_stage", &["lifecyclestage", "stage", "lifecycle", "etapa", "fase"]),
    ("opt_in_status", &["optin", "optinstatus", "consent", "consentimento", "consentimiento", "marketingconsent"]),
    ("birthday", &["birthday", "birthdate", "dateofbirth", "dob", "aniversario", "nascimento", "datanascimento", "cumpleanos", "fechanacimiento"]),
    ("notes", &["notes", "note", "comments", "comment", "observacoes", "observacao", "notas", "nota", "message", "mensagem", "mensaje"]),
];

/// A header folded for comparison: lower case, ASCII letters and digits only, accents
/// removed.
pub fn fold(header: &str) -> String {
    header
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            other => other,
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// Guesses the target of each column from its header: the org's custom fields by key
/// or label first, then the built-in synonyms. A target is used once (later columns with
/// the same guess are ignored); unknown headers are ignored.
pub fn auto_map(headers: &[String], custom_fields: &[(String, String)]) -> Vec<String> {
    let mut used = std::collections::HashSet::new();
    headers
        .iter()
        .map(|h| {
            let f = fold(h);
            let guess = custom_fields
                .iter()
                .find(|(key, label)| fold(key) == f || fold(label) == f)
                .map(|(key, _)| format!("custom:{key}"))
                .or_else(|| SYNONYMS.iter().find(|(_, words)| words.contains(&f.as_str())).map(|(t, _)| t.to_string()));
            match guess {
                Some(t) if used.insert(t.clone()) => t,
                _ => "ignore".to_string(),
            }
        })
        .collect()
}

/// Checks a chosen mapping: one target per column, each known, each at most once
/// (`ignore` aside), and a phone column present.
pub fn check_mapping(mapping: &[String], columns: usize, custom_keys: &[String]) -> Result<(), String> {
    if mapping.len() != columns {
        return Err(format!("The mapping names {} columns but the file has {columns}.", mapping.len()));
    }
    let mut seen = std::collections::HashSet::new();
    for t in mapping {
        let known = TARGETS.contains(&t.as_str()) || t.strip_prefix("custom:").is_some_and(|k| custom_keys.iter().any(|c| c == k));
        if !known {
            return Err(format!("\u{201c}{t}\u{201d} is not a contact field."));
        }
        if t != "ignore" && !seen.insert(t) {
            return Err(format!("Two columns are mapped to {t}; choose one."));
        }
    }
    if !seen.contains(&"phone".to_string()) {
        return Err("Choose the column that holds the phone number.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn english_portuguese_and_spanish_headers_are_recognised() {
        assert_eq!(auto_map(&headers(&["Full Name", "Mobile Phone", "E-mail", "Company", "Tags"]), &[]), ["name", "phone", "email", "company", "tags"]);
        assert_eq!(
            auto_map(&headers(&["Nome", "Telefone", "Empresa", "Observações", "Data Nascimento"]), &[]),
            ["name", "phone", "company", "notes", "birthday"]
        );
        assert_eq!(
            auto_map(&headers(&["Nombre", "Apellidos", "Teléfono", "Correo electrónico", "Etiquetas"]), &[]),
            ["name", "last_name", "phone", "email", "tags"]
        );
        assert_eq!(auto_map(&headers(&["first_name", "last_name", "whatsapp"]), &[]), ["first_name", "last_name", "phone"]);
    }

    #[test]
    fn custom_fields_match_by_key_or_label_and_each_target_is_used_once() {
        let custom = vec![("plan".to_string(), "Plan name".to_string())];
        assert_eq!(auto_map(&headers(&["Plan Name", "phone", "Cell", "mystery"]), &custom), ["custom:plan", "phone", "ignore", "ignore"]);
    }

    #[test]
    fn a_mapping_needs_a_phone_column_and_no_target_twice() {
        let m = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_mapping(&m(&["phone", "name"]), 2, &[]).is_ok());
        assert!(check_mapping(&m(&["name", "ignore"]), 2, &[]).unwrap_err().contains("phone"));
        assert!(check_mapping(&m(&["phone", "phone"]), 2, &[]).unwrap_err().contains("Two columns"));
        assert!(check_mapping(&m(&["phone", "custom:plan"]), 2, &[]).is_err());
        assert!(check_mapping(&m(&["phone", "custom:plan"]), 2, &["plan".into()]).is_ok());
        assert!(check_mapping(&m(&["phone"]), 2, &[]).is_err());
    }
}
