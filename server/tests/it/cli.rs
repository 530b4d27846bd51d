//! The `mce` command line, run as the operator runs it (the built binary, a fresh SQLite
//! file): `admin create` reads the password from standard input when `--password` is
//! left out; `api-key create` takes a role and an expiry; `api-key revoke` ends a key.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn mce(data: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mce"))
        .args(args)
        .env("MCE_DATA_DIR", data)
        .env("DATABASE_URL", format!("sqlite://{}/mce.db", data.display()))
        .env("MCE_ENCRYPTION_KEY", "ab".repeat(32))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mce runs");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn line(out: &Output, key: &str) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap_or_else(|| panic!("no {key}= in {text}")).trim().to_owned()
}

#[tokio::test]
async fn admin_create_reads_the_password_from_standard_input_and_keys_have_roles_and_can_be_revoked() {
    let dir = std::env::temp_dir().join(format!("mce-cli-{}", backend::clock::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let created = mce(&dir, &["admin", "create", "--email", "ops@cli.test", "--org", "CLI Org"], Some("piped-password-1\n"));
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let org = line(&created, "org_id");
    let empty = mce(&dir, &["admin", "create", "--email", "nobody@cli.test", "--org", "CLI Org"], Some(""));
    assert!(!empty.status.success(), "no password, no account");

    let db = backend::Db::connect(&format!("sqlite://{}/mce.db", dir.display())).await.unwrap();
    let password = domain::Password::parse_new("piped-password-1").unwrap();
    let user = backend::auth::authenticate(&db, "ops@cli.test", &password, "127.0.0.1", Default::default()).await;
    assert!(user.is_ok(), "the piped password signs in: {user:?}");

    let key = mce(&dir, &["api-key", "create", "--org", &org, "--name", "BI", "--role", "viewer", "--expires-in-days", "30"], None);
    assert!(key.status.success(), "{}", String::from_utf8_lossy(&key.stderr));
    let secret = line(&key, "api_key");
    let caller = backend::api_keys::authenticate(&db, &secret).await.unwrap().expect("the key works");
    assert_eq!(caller.role, domain::Role::Viewer);
    let bad_role = mce(&dir, &["api-key", "create", "--org", &org, "--name", "x", "--role", "owner"], None);
    assert!(!bad_role.status.success());

    let revoked = mce(&dir, &["api-key", "revoke", &secret[..12]], None);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert!(backend::api_keys::authenticate(&db, &secret).await.unwrap().is_none(), "revoked by its prefix");
    assert!(!mce(&dir, &["api-key", "revoke", "mce_nosuchkey"], None).status.success());
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
