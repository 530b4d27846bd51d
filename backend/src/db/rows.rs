//! Adapters that let `#[derive(sqlx::FromRow)]` row structs decode our storage
//! conventions directly, so services map rows with `sqlx::query_as` instead of
//! `Row::get` — which panics on a value that does not decode, where `query_as` returns
//! `Err` (a [`crate::ServiceError`] reported as `INTERNAL_001`).
//!
//! - **Typed ids** (`OrgId`, `UserId`, `ContactId`, …) decode from UUID text through
//!   `sqlx::Type<Any>`/`Decode<Any>` impls in the `domain` crate, behind its optional
//!   `sqlx` feature that only this crate enables (the browser build of `domain` never
//!   links sqlx). That is leaner than backend-side newtypes with
//!   `#[sqlx(try_from = "String")]`: a row field is just `OrgId` or `Option<UserId>` (a
//!   `try_from` attribute cannot express a nullable id, and a wrapper would have to be
//!   unwrapped at every use), and the orphan rule would force the `TryFrom` impls into
//!   `domain` anyway. A non-text value (or NULL where no `Option` is declared) is an
//!   `Err`; ids stay opaque text, as `domain::ids` says.
//! - [`Flag`]: a 0/1 BIGINT flag as a `bool`. The `Any` driver decodes `bool` only from
//!   values that arrive as booleans, and SQLite hands BIGINT flags over as integers, so
//!   `bool` fields fail there; anything but 0 or 1 is an `Err`. A boolean expression
//!   (`EXISTS (…)`), which PostgreSQL returns as a real boolean, decodes too.
//! - [`Json`]: JSON stored as TEXT, parsed with serde_json; text that does not parse as
//!   `T` is an `Err`.

use serde::de::DeserializeOwned;
use sqlx::any::{Any, AnyTypeInfo, AnyTypeInfoKind, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Decode, Type, ValueRef};

/// A 0/1 BIGINT flag column, decoded as a `bool`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty) || ty.kind() == AnyTypeInfoKind::Bool
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        // A boolean expression (`EXISTS (…)`) is a real boolean on PostgreSQL and 0/1 on SQLite.
        if value.type_info().kind() == AnyTypeInfoKind::Bool {
            return <bool as Decode<'r, Any>>::decode(value).map(Flag);
        }
        match <i64 as Decode<'r, Any>>::decode(value)? {
            0 => Ok(Flag(false)),
            1 => Ok(Flag(true)),
            n => Err(format!("a flag must be 0 or 1, got {n}").into()),
        }
    }
}

/// JSON stored as TEXT, parsed into `T`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The parsed value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Type<Any> for Json<T> {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r, T: DeserializeOwned> Decode<'r, Any> for Json<T> {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        // Through `String`: sqlx's `&str` decode for `Any` panics on an owned buffer.
        let text = <String as Decode<'r, Any>>::decode(value)?;
        Ok(Json(serde_json::from_str(&text)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Result, ServiceError};
    use crate::testing::databases;
    use domain::{ErrorCode, OrgId, UserId};
    use serde_json::{Map, Value};

    #[derive(sqlx::FromRow, Debug)]
    struct Probe {
        id: OrgId,
        owner: Option<UserId>,
        on: Flag,
        data: Json<Map<String, Value>>,
    }

    async fn probe(db: &crate::Db, select: &str) -> Result<Probe> {
        Ok(sqlx::query_as::<_, Probe>(select).fetch_one(db.pool()).await?)
    }

    fn is_internal(r: Result<Probe>) -> bool {
        matches!(&r, Err(ServiceError::Unexpected(_))) && r.unwrap_err().code() == ErrorCode::Internal
    }

    #[tokio::test]
    async fn good_values_decode_into_typed_fields() {
        for t in databases().await {
            let p = probe(&t.db, r#"SELECT 'o-1' AS id, NULL AS owner, 1 AS "on", '{"a": 2}' AS data"#).await.unwrap();
            assert_eq!(p.id, OrgId::from_string("o-1"), "{}", t.label);
            assert_eq!(p.owner, None, "{}", t.label);
            assert!(p.on.0, "{}", t.label);
            assert_eq!(p.data.0.get("a"), Some(&Value::from(2)), "{}", t.label);
            let p = probe(&t.db, r#"SELECT 'o-2' AS id, 'u-1' AS owner, 0 AS "on", '{}' AS data"#).await.unwrap();
            assert_eq!(p.owner, Some(UserId::from_string("u-1")), "{}", t.label);
            assert!(!p.on.0, "{}", t.label);
            // Real columns too: a BIGINT flag and a TEXT id as the migrations declare them.
            let flag: Flag = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)").fetch_one(t.db.pool()).await.unwrap();
            assert!(flag.0, "{}", t.label);
            let flag: Flag = sqlx::query_scalar("SELECT EXISTS (SELECT 1 WHERE 1 = 0)").fetch_one(t.db.pool()).await.unwrap();
            assert!(!flag.0, "{}", t.label);
        }
    }

    #[tokio::test]
    async fn a_bad_flag_is_an_error_not_a_panic() {
        for t in databases().await {
            assert!(is_internal(probe(&t.db, r#"SELECT 'o' AS id, NULL AS owner, 2 AS "on", '{}' AS data"#).await), "{}", t.label);
            assert!(is_internal(probe(&t.db, r#"SELECT 'o' AS id, NULL AS owner, 'yes' AS "on", '{}' AS data"#).await), "{}", t.label);
            assert!(is_internal(probe(&t.db, r#"SELECT 'o' AS id, NULL AS owner, NULL AS "on", '{}' AS data"#).await), "{}", t.label);
        }
    }

    #[tokio::test]
    async fn bad_json_is_an_error_not_a_panic() {
        for t in databases().await {
            assert!(is_internal(probe(&t.db, r#"SELECT 'o' AS id, NULL AS owner, 0 AS "on", '{not json' AS data"#).await), "{}", t.label);
            // Valid JSON of the wrong shape fails too.
            assert!(is_internal(probe(&t.db, r#"SELECT 'o' AS id, NULL AS owner, 0 AS "on", '[1, 2]' AS data"#).await), "{}", t.label);
            assert!(is_internal(probe(&t.db, r#"SELECT 'o' AS id, NULL AS owner, 0 AS "on", 7 AS data"#).await), "{}", t.label);
        }
    }

    #[tokio::test]
    async fn a_bad_id_is_an_error_not_a_panic() {
        for t in databases().await {
            assert!(is_internal(probe(&t.db, r#"SELECT 42 AS id, NULL AS owner, 0 AS "on", '{}' AS data"#).await), "{}", t.label);
            assert!(is_internal(probe(&t.db, r#"SELECT NULL AS id, NULL AS owner, 0 AS "on", '{}' AS data"#).await), "{}", t.label);
            assert!(is_internal(probe(&t.db, r#"SELECT 'o' AS id, 42 AS owner, 0 AS "on", '{}' AS data"#).await), "{}", t.label);
        }
    }

    /// Through the services: a corrupt stored value fails the call with `INTERNAL_001`
    /// where `Row::get` used to panic (the flag) or silently forget it (the JSON).
    #[tokio::test]
    async fn services_report_a_corrupt_row_as_internal() {
        for t in databases().await {
            let db = &t.db;
            sqlx::query("INSERT INTO users (id, email, name, password_hash, is_super_admin, created_at) VALUES ('u-bad', 'bad@x.test', 'Bad', 'x', 2, 0)")
                .execute(db.pool())
                .await
                .unwrap();
            let err = crate::auth::find_user(db, &UserId::from_string("u-bad")).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::Internal, "{}", t.label);

            let seeded = crate::testing::seed_org_with(db, "Rows", "rows@x.test", domain::Role::Owner).await;
            sqlx::query(
                "INSERT INTO contacts (id, org_id, phone, source, custom_fields, created_at, updated_at) VALUES ('c-bad', $1, '+15550001111', 'app', '{oops', 0, 0)",
            )
            .bind(seeded.org.as_str())
            .execute(db.pool())
            .await
            .unwrap();
            let err = crate::contacts::search::get(db, &seeded.actor, &domain::ContactId::from_string("c-bad")).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::Internal, "{}", t.label);
        }
    }

    #[tokio::test]
    async fn a_missing_column_is_an_error_not_a_panic() {
        for t in databases().await {
            assert!(is_internal(probe(&t.db, r#"SELECT 'o' AS id, 0 AS "on", '{}' AS data"#).await), "{}", t.label);
        }
    }
}
