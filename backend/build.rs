//! `sqlx::migrate!` embeds the migration files at compile time, but cargo does not know
//! they are inputs: without this a new migration is silently left out until some Rust
//! file of the crate changes.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
