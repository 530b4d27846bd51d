//! Contacts benchmarks (issue: contacts CRM and lead ingestion):
//!
//! 1. A 100,000-row CSV import end to end through the services the app uses (upload and
//!    parse, mapping, the background runner storing batches of 500 with timeline lines,
//!    tags and "contact created" events). Goal: ≤ 10 s.
//! 2. Contact search with 1,000,000 contacts in the org: p50/p95/p99 of a page of 25 with
//!    its total, for searches by name, phone digits, email and company. Goal: p95 ≤ 50 ms.
//!
//! Run: `cargo run --release -p bench --bin contacts-bench [-- --postgres <admin url>] [--contacts N] [--import-only]`

use backend::clock::now_ms;
use backend::contacts::import;
use backend::contacts::search::{self, ContactQuery};
use backend::testing::{seed_org_with, TestDb};
use backend::{Db, DbKind};
use domain::Role;
use std::time::Instant;

const FIRST: [&str; 40] = [
    "Ana", "Bruno", "Carla", "Diego", "Elisa", "Fabio", "Gabriela", "Hugo", "Iris", "Joao", "Karen", "Lucas", "Marina", "Nuno", "Olivia", "Paulo", "Quesia",
    "Rafael", "Sofia", "Tiago", "Ursula", "Vitor", "Wanda", "Xavier", "Yara", "Zeca", "Amir", "Priya", "Chen", "Fatima", "Kofi", "Ines", "Liam", "Maya",
    "Noor", "Omar", "Rosa", "Sven", "Tomas", "Vera",
];
const LAST: [&str; 40] = [
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Lima",
    "Pereira",
    "Costa",
    "Rodrigues",
    "Almeida",
    "Nascimento",
    "Ferreira",
    "Araujo",
    "Gomes",
    "Martins",
    "Rocha",
    "Ribeiro",
    "Carvalho",
    "Mendes",
    "Barros",
    "Freitas",
    "Smith",
    "Patel",
    "Kumar",
    "Nguyen",
    "Okafor",
    "Haddad",
    "Kowalski",
    "Muller",
    "Rossi",
    "Garcia",
    "Tanaka",
    "Cohen",
    "Ivanova",
    "Jensen",
    "Dubois",
    "Novak",
    "Moreau",
    "Fischer",
    "Lopez",
    "Park",
];

/// A deterministic pseudo-random sequence (no dependency needed for a benchmark).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn person(i: u64) -> (String, String, String, String) {
    let (f, l) = (FIRST[(i * 7 % 40) as usize], LAST[(i * 13 / 3 % 40) as usize]);
    let phone = format!("+55119{:08}", (i * 7_919) % 100_000_000);
    (format!("{f} {l}"), phone, format!("{}.{}{}@example.com", f.to_lowercase(), l.to_lowercase(), i), format!("Company {}", i % 1_000))
}

async fn import_bench(t: &TestDb, rows: u64) {
    let a = seed_org_with(&t.db, "Import bench", &format!("import-{}@bench.test", t.label), Role::Admin).await;
    let mut csv = String::from("name,phone,email,company,tags\n");
    for i in 0..rows {
        let (name, phone, email, company) = person(i);
        csv.push_str(&format!("{name},{phone},{email},{company},\"lead, {}\"\n", if i % 2 == 0 { "spring" } else { "autumn" }));
    }
    let bytes = csv.len();
    let started = Instant::now();
    let up = import::upload(&t.db, &a.actor, "bench.csv", csv.into_bytes(), now_ms()).await.unwrap();
    let uploaded = started.elapsed();
    import::start(&t.db, &a.actor, &up.id, &up.mapping, "skip").await.unwrap();
    backend::testing::drain_jobs(&t.db).await;
    let total = started.elapsed();
    let done = import::get(&t.db, &a.actor, &up.id).await.unwrap();
    assert_eq!((done.created, done.failed), (rows as i64, 0), "every row imported");
    println!(
        "{:8} import {rows} rows ({:.1} MB): upload+parse {:.2} s, total {:.2} s = {:.0} rows/s (goal ≤ 10 s: {})",
        t.label,
        bytes as f64 / 1e6,
        uploaded.as_secs_f64(),
        total.as_secs_f64(),
        rows as f64 / total.as_secs_f64(),
        if total.as_secs_f64() <= 10.0 { "met" } else { "NOT met" }
    );
}

/// Loads `n` contacts into an org in bulk (set-up, not measured): multi-row inserts with
/// the search index rebuilt once at the end.
async fn load_contacts(db: &Db, org: &str, n: u64) {
    let started = Instant::now();
    let pg = db.kind() == DbKind::Postgres;
    if pg {
        sqlx::query("DROP INDEX IF EXISTS contacts_search_idx").execute(db.pool()).await.unwrap();
    } else {
        for t in ["contacts_search_insert", "contacts_search_update", "contacts_search_delete"] {
            sqlx::query(&format!("DROP TRIGGER IF EXISTS {t}")).execute(db.pool()).await.unwrap();
        }
    }
    let now = now_ms();
    let chunk = 1_000u64;
    let mut i = 0;
    while i < n {
        let end = (i + chunk).min(n);
        let mut sql = String::from("INSERT INTO contacts (id, org_id, phone, wa_id, name, email, company, source, lead_status, lifecycle_stage, opt_in_status, custom_fields, created_at, updated_at) VALUES ");
        for k in i..end {
            let (name, phone, email, company) = person(k + 1_000_000);
            if k > i {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('b{k}', '{org}', '{phone}', '{}', '{name}', '{email}', '{company}', 'csv', 'new', 'lead', 'unknown', '{{}}', {}, {})",
                &phone[1..],
                now - k as i64,
                now - k as i64
            ));
        }
        sqlx::query(&sql).execute(db.pool()).await.unwrap();
        i = end;
    }
    if pg {
        sqlx::query("CREATE INDEX contacts_search_idx ON contacts USING gin (search_text gin_trgm_ops)").execute(db.pool()).await.unwrap();
        sqlx::query("ANALYZE contacts").execute(db.pool()).await.unwrap();
    } else {
        sqlx::query("INSERT INTO contacts_search (contacts_search) VALUES ('rebuild')").execute(db.pool()).await.unwrap();
        sqlx::query("ANALYZE").execute(db.pool()).await.unwrap();
    }
    println!("{:8} loaded {n} contacts in {:.0} s (set-up)", if pg { "postgres" } else { "sqlite" }, started.elapsed().as_secs_f64());
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn search_bench(t: &TestDb, n: u64) {
    let a = seed_org_with(&t.db, "Search bench", &format!("search-{}@bench.test", t.label), Role::Admin).await;
    load_contacts(&t.db, a.org.as_str(), n).await;
    let mut rng = Lcg(42);
    let kinds = ["name", "phone", "email", "company"];
    let mut all = Vec::new();
    for kind in kinds {
        let mut times = Vec::new();
        let mut matched = 0i64;
        for _ in 0..100 {
            let k = rng.next() % n + 1_000_000;
            let (name, phone, email, company) = person(k);
            let q = match kind {
                "name" => name,
                "phone" => phone[6..13].to_owned(),
                "email" => email.split('@').next().unwrap().to_owned(),
                _ => company,
            };
            let query = ContactQuery { q: Some(q), page: 1, per_page: 25, ..Default::default() };
            let started = Instant::now();
            let page = search::list(&t.db, &a.actor, &query).await.unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            matched += page.total;
            assert!(page.total >= 1, "the searched contact is found");
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{:8} search by {kind:8} ({} matches on average): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
            t.label,
            matched / 100,
            pct(&times, 0.5),
            pct(&times, 0.95),
            pct(&times, 0.99)
        );
        all.extend(times);
    }
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p95 = pct(&all, 0.95);
    println!(
        "{:8} search, all kinds, {n} contacts: p50 {:.1} ms, p95 {:.1} ms (goal ≤ 50 ms: {})",
        t.label,
        pct(&all, 0.5),
        p95,
        if p95 <= 50.0 { "met" } else { "NOT met" }
    );
    // For reference: the unfiltered first page, which counts every contact.
    let started = Instant::now();
    search::list(&t.db, &a.actor, &ContactQuery { page: 1, per_page: 25, ..Default::default() }).await.unwrap();
    println!("{:8} first page with no filter (total of {n}): {:.1} ms", t.label, started.elapsed().as_secs_f64() * 1000.0);
    tag_filter_bench(t, a.org.as_str(), n).await;
}

/// The first page filtered by a rare tag (100 contacts) and by a common one (every other
/// contact), each with its total: the median of 20 runs.
async fn tag_filter_bench(t: &TestDb, org: &str, n: u64) {
    for (id, name, every) in [("bench-tag-rare", "rare", n / 100), ("bench-tag-half", "half", 2)] {
        sqlx::query("INSERT INTO tags (id, org_id, name, name_key, colour, created_at) VALUES ($1, $2, $3, $3, '#2563eb', 0)")
            .bind(id)
            .bind(org)
            .bind(name)
            .execute(t.db.pool())
            .await
            .unwrap();
        let sql = format!(
            "INSERT INTO contact_tags (contact_id, tag_id, created_at) SELECT id, '{id}', 0 FROM contacts WHERE org_id = '{org}' AND created_at % {every} = 0"
        );
        sqlx::query(&sql).execute(t.db.pool()).await.unwrap();
    }
    sqlx::query("ANALYZE").execute(t.db.pool()).await.unwrap();
    let org = domain::OrgId::from_string(org.to_owned());
    for name in ["rare", "half"] {
        let query = ContactQuery { tags: vec![name.into()], page: 1, per_page: 25, ..Default::default() };
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..20 {
            let started = Instant::now();
            total = search::list(&t.db, &backend::auth::Actor::system(&org, "bench"), &query).await.unwrap().total;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!("{:8} first page filtered by a tag on {total} of {n} contacts: p50 {:.1} ms", t.label, pct(&times, 0.5));
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pg = args.iter().position(|a| a == "--postgres").and_then(|i| args.get(i + 1)).cloned();
    let n: u64 = args.iter().position(|a| a == "--contacts").and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let mut dbs = vec![backend::testing::sqlite().await];
    if let Some(url) = pg {
        dbs.push(backend::testing::postgres(&url).await);
    }
    for t in &dbs {
        import_bench(t, 100_000).await;
    }
    if args.iter().any(|a| a == "--import-only") {
        return;
    }
    for t in &dbs {
        search_bench(t, n).await;
    }
}
