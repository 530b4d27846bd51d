//! The error every service returns: a business outcome with a stable code, or an
//! unexpected failure whose details go to the log and never to the caller.

use domain::{AppError, ErrorCode};

/// A service failure.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A named business outcome (wrong password, not allowed, duplicate…), safe to show.
    #[error(transparent)]
    App(#[from] AppError),
    /// Anything else: a database or I/O failure. Logged, reported as `INTERNAL_001`.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ServiceError {
    /// A business outcome with a code and message.
    pub fn app(code: ErrorCode, message: impl Into<String>) -> Self {
        ServiceError::App(AppError::new(code, message))
    }

    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ServiceError::App(e) => e.code,
            ServiceError::Unexpected(_) => ErrorCode::Internal,
        }
    }

    /// The error as shown to callers. Unexpected errors are logged here, once, and
    /// replaced with a message that reveals nothing.
    pub fn into_app_error(self) -> AppError {
        match self {
            ServiceError::App(e) => e,
            ServiceError::Unexpected(e) => {
                tracing::error!(error = %format!("{e:#}"), "unexpected service error");
                AppError::internal()
            }
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        ServiceError::Unexpected(anyhow::Error::new(e))
    }
}

impl From<domain::ParseError> for ServiceError {
    fn from(e: domain::ParseError) -> Self {
        ServiceError::App(e.into())
    }
}

/// True when `e` is a unique-constraint violation of the named constraint (or, on SQLite,
/// which does not report constraint names, of a unique index over `columns_hint`).
pub(crate) fn is_unique_violation(e: &sqlx::Error, constraint: &str, columns_hint: &str) -> bool {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            db.constraint().map(|c| c == constraint).unwrap_or_else(|| db.message().contains(columns_hint))
        }
        _ => false,
    }
}

/// Shorthand for service results.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
