//! CSV import on both databases: Excel-style files (BOM, `;`, quoted line breaks), one
//! bad row among 10,000, duplicates inside the file and against stored contacts under
//! each policy, the error file, re-running a file, and resuming an interrupted import.

use backend::clock::now_ms;
use backend::contacts::import;
use backend::contacts::search::{self, ContactQuery};
use backend::testing::{count_rows, databases, seed_org_with};
use domain::csv::{decode_text, Reader};
use domain::Role;

fn query() -> ContactQuery {
    ContactQuery { page: 1, per_page: 100, ..Default::default() }
}

/// Uploads, starts with the guessed mapping and `policy`, and runs the import to the end.
async fn import_file(db: &backend::Db, s: &backend::testing::Seeded, bytes: Vec<u8>, policy: &str) -> domain::dto::ImportView {
    let up = import::upload(db, &s.actor, "leads.csv", bytes, now_ms()).await.unwrap();
    import::start(db, &s.actor, &up.id, &up.mapping, policy).await.unwrap();
    backend::testing::drain_jobs(db).await;
    import::get(db, &s.actor, &up.id).await.unwrap()
}

#[tokio::test]
async fn an_excel_export_with_a_bom_semicolons_and_quoted_line_breaks_imports_with_its_mapping_guessed() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let file = "\u{feff}Nome;Telefone;E-mail;Etiquetas;Observações\r\nAna Lima;(11) 99999-0001;ana@x.test;vip, feira;\"Quer o plano anual\r\nligar à tarde\"\r\nBeto;+55 11 99999-0002;;feira;\r\n";
        let up = import::upload(&t.db, &a.actor, "export.csv", file.as_bytes().to_vec(), now_ms()).await.unwrap();
        assert_eq!(up.mapping, ["name", "phone", "email", "tags", "notes"], "{}", t.label);
        assert_eq!((up.total_rows, up.preview.len(), up.status.as_str()), (2, 2, "uploaded"));
        assert_eq!(up.preview[0][4], "Quer o plano anual\nligar à tarde");
        // The org is in the US: a Brazilian national number needs a mapping of the
        // country; here the org's country is set to Brazil first.
        sqlx::query("UPDATE orgs SET default_country = 'BR'").execute(t.db.pool()).await.unwrap();
        import::start(&t.db, &a.actor, &up.id, &up.mapping, "skip").await.unwrap();
        backend::testing::drain_jobs(&t.db).await;
        let done = import::get(&t.db, &a.actor, &up.id).await.unwrap();
        assert_eq!((done.status.as_str(), done.created, done.failed, done.processed_rows), ("done", 2, 0, 2), "{}: {:?}", t.label, done.message);
        let ana = search::list(&t.db, &a.actor, &ContactQuery { phone: Some("+5511999990001".into()), ..query() }).await.unwrap().data.remove(0);
        assert_eq!((ana.name.as_deref(), ana.email.as_deref(), ana.source.as_str()), (Some("Ana Lima"), Some("ana@x.test"), "csv"));
        assert_eq!(ana.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["feira", "vip"]);
        let notes = backend::contacts::notes::list(&t.db, &a.actor, &ana.id).await.unwrap();
        assert_eq!(notes[0].body, "Quer o plano anual\nligar à tarde", "{}", t.label);
    }
}

#[tokio::test]
async fn one_bad_row_in_ten_thousand_is_reported_in_the_error_file_and_the_rest_is_stored() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let mut file = String::from("phone,name,email\n");
        for i in 0..10_000 {
            if i == 4321 {
                file.push_str("not-a-phone,Broken Row,broken@x.test\n");
            } else {
                file.push_str(&format!("+4479{i:08},Lead {i},lead{i}@x.test\n"));
            }
        }
        let done = import_file(&t.db, &a, file.into_bytes(), "skip").await;
        assert_eq!((done.status.as_str(), done.processed_rows, done.created, done.failed), ("done", 10_000, 9_999, 1), "{}", t.label);
        assert_eq!(count_rows(&t.db, "contacts").await, 9_999);
        let errors = import::error_file(&t.db, &a.actor, &done.id).await.unwrap();
        assert!(errors.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
        let text = decode_text(&errors);
        let rows: Vec<Vec<String>> = Reader::new(&text).map(|r| r.unwrap().fields).collect();
        assert_eq!(rows[0], ["line", "phone", "name", "email", "error"]);
        assert_eq!(rows.len(), 2, "{}", t.label);
        assert_eq!(&rows[1][..4], ["4323", "not-a-phone", "Broken Row", "broken@x.test"], "the file's line (header is line 1)");
        assert!(rows[1][4].contains("not-a-phone"), "says why: {}", rows[1][4]);
    }
}

#[tokio::test]
async fn duplicates_in_the_file_and_in_the_database_follow_the_chosen_policy() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        backend::contacts::edit::create(
            &t.db,
            &a.actor,
            "app",
            &serde_json::json!({"phone": "+447900000001", "name": "Stored", "company": "Old Co"}),
            now_ms(),
        )
        .await
        .unwrap();
        // Row 1 is already stored; rows 2 and 3 share a phone.
        let file = "phone,name,company\n+447900000001,From File,New Co\n+447900000002,First,\n+447900000002,Second,Later Co\n";

        let skip = import_file(&t.db, &a, file.into(), "skip").await;
        assert_eq!((skip.created, skip.skipped, skip.updated, skip.failed), (1, 2, 0, 0), "skip ({})", t.label);
        let stored = search::list(&t.db, &a.actor, &ContactQuery { phone: Some("+447900000001".into()), ..query() }).await.unwrap().data.remove(0);
        assert_eq!(stored.name.as_deref(), Some("Stored"), "skip leaves the stored contact");
        let first = search::list(&t.db, &a.actor, &ContactQuery { phone: Some("+447900000002".into()), ..query() }).await.unwrap().data.remove(0);
        assert_eq!(first.name.as_deref(), Some("First"), "the first row of a phone wins under skip");

        let update = import_file(&t.db, &a, file.into(), "update").await;
        assert_eq!((update.created, update.updated, update.failed), (0, 3, 0), "update ({})", t.label);
        let stored = search::list(&t.db, &a.actor, &ContactQuery { phone: Some("+447900000001".into()), ..query() }).await.unwrap().data.remove(0);
        assert_eq!((stored.name.as_deref(), stored.company.as_deref()), (Some("From File"), Some("New Co")));
        let merged = search::list(&t.db, &a.actor, &ContactQuery { phone: Some("+447900000002".into()), ..query() }).await.unwrap().data.remove(0);
        assert_eq!((merged.name.as_deref(), merged.company.as_deref()), (Some("Second"), Some("Later Co")), "later rows fill in under update");

        let create = import_file(&t.db, &a, "phone,name\n+447900000001,X\n+447900000003,New\n+447900000003,Again\n".into(), "create").await;
        assert_eq!((create.created, create.failed), (1, 2), "create reports duplicates ({})", t.label);
        assert_eq!(count_rows(&t.db, "contacts").await, 3, "never two contacts for one phone");
    }
}

#[tokio::test]
async fn an_import_run_again_or_interrupted_and_resumed_never_duplicates_or_loses_rows() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let mut file = String::from("phone,name\n");
        for i in 0..1_200 {
            file.push_str(&format!("+4479{i:08},Lead {i}\n"));
        }
        // An import stopped after its first batch of 500: its lease ran out.
        let up = import::upload(&t.db, &a.actor, "big.csv", file.clone().into_bytes(), now_ms()).await.unwrap();
        let first_500 = file.lines().take(501).collect::<Vec<_>>().join("\n");
        import_file(&t.db, &a, first_500.into_bytes(), "skip").await;
        import::start(&t.db, &a.actor, &up.id, &up.mapping, "skip").await.unwrap();
        sqlx::query("UPDATE contact_imports SET status = 'running', processed_rows = 500, created_count = 500, locked_until = $1 WHERE id = $2")
            .bind(now_ms() - 1)
            .bind(&up.id)
            .execute(t.db.pool())
            .await
            .unwrap();
        backend::testing::drain_jobs(&t.db).await;
        let resumed = import::get(&t.db, &a.actor, &up.id).await.unwrap();
        assert_eq!(
            (resumed.status.as_str(), resumed.processed_rows, resumed.created, resumed.skipped),
            ("done", 1_200, 1_200, 0),
            "resumed after row 500 ({})",
            t.label
        );
        assert_eq!(count_rows(&t.db, "contacts").await, 1_200);

        let again = import_file(&t.db, &a, file.into_bytes(), "skip").await;
        assert_eq!((again.created, again.skipped), (0, 1_200), "a re-run changes nothing ({})", t.label);
        assert_eq!(count_rows(&t.db, "contacts").await, 1_200);
        let audit = backend::audit::list(&t.db, &a.org, 10).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "contacts.imported" && e.detail["created"] == 1_200), "the import is in the activity log");
    }
}

#[tokio::test]
async fn files_that_cannot_be_imported_are_refused_with_contact_005_and_nothing_is_kept() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        for (bytes, why) in [(&b""[..], "empty"), (b"phone,name\n", "no rows"), (b"phone\n\"unclosed\n", "cannot be read")] {
            let e = import::upload(&t.db, &a.actor, "x.csv", bytes.to_vec(), now_ms()).await.unwrap_err().into_app_error();
            assert_eq!(e.code, domain::ErrorCode::ImportInvalid, "{why} ({})", t.label);
        }
        let up = import::upload(&t.db, &a.actor, "x.csv", b"name,email\nAna,a@x.test\n".to_vec(), now_ms()).await.unwrap();
        let e = import::start(&t.db, &a.actor, &up.id, &up.mapping, "skip").await.unwrap_err().into_app_error();
        assert!(e.message.contains("phone"), "a file without a phone column: {}", e.message);
        assert_eq!(count_rows(&t.db, "contacts").await, 0);
        let other = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        assert!(import::get(&t.db, &other.actor, &up.id).await.is_err(), "another org cannot see the import");
    }
}

#[tokio::test]
async fn a_file_exported_from_one_org_imports_into_another_as_the_same_contacts() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        for s in [&a, &b] {
            backend::contacts::fields::create(&t.db, &s.actor, "plan", "Plan", "text", &[], now_ms()).await.unwrap();
        }
        let body = serde_json::json!({"phone": "+5511900000600", "name": "=HYPERLINK(\"x\")", "email": "ana@x.test", "company": "São Paulo, Ltda", "tags": ["vip", "feira"], "custom_fields": {"plan": "@gold"}});
        backend::contacts::edit::create(&t.db, &a.actor, "app", &body, now_ms()).await.unwrap();
        backend::contacts::edit::create(&t.db, &a.actor, "app", &serde_json::json!({"phone": "+14155550100", "name": "-Plain"}), now_ms()).await.unwrap();

        // The export neutralises `+`, `=`, `-` and `@` with a leading `'`; the import undoes it.
        let exported = backend::contacts::export::csv(&t.db, &a.actor, &Default::default()).await.unwrap();
        let done = import_file(&t.db, &b, exported, "skip").await;
        assert_eq!((done.status.as_str(), done.created, done.failed), ("done", 2, 0), "{}: {:?}", t.label, done.message);
        let got = search::list(&t.db, &b.actor, &ContactQuery { phone: Some("+5511900000600".into()), ..query() }).await.unwrap().data.remove(0);
        assert_eq!(
            (got.name.as_deref(), got.email.as_deref(), got.company.as_deref()),
            (Some("=HYPERLINK(\"x\")"), Some("ana@x.test"), Some("São Paulo, Ltda")),
            "{}",
            t.label
        );
        assert_eq!(got.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["feira", "vip"]);
        assert_eq!(got.custom_fields.get("plan").and_then(|v| v.as_str()), Some("@gold"), "{}", t.label);
        let plain = search::list(&t.db, &b.actor, &ContactQuery { phone: Some("+14155550100".into()), ..query() }).await.unwrap().data.remove(0);
        assert_eq!(plain.name.as_deref(), Some("-Plain"));
    }
}

#[tokio::test]
async fn an_export_of_more_contacts_than_one_batch_has_each_once_in_the_lists_order_with_one_bom() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let mut file = String::from("phone,name\n");
        for i in 0..1_100 {
            file.push_str(&format!("+1415555{i:04},Lead {i}\n"));
        }
        let done = import_file(&t.db, &a, file.into_bytes(), "skip").await;
        assert_eq!(done.created, 1_100, "{}", t.label);
        let mut export = backend::contacts::export::start(&t.db, &a.actor, &Default::default()).await.unwrap();
        let mut chunks = Vec::new();
        while let Some(chunk) = export.next_chunk().await.unwrap() {
            chunks.push(String::from_utf8(chunk).unwrap());
        }
        assert!(chunks.len() >= 4, "the header and three batches of contacts ({})", t.label);
        let text = chunks.concat();
        assert_eq!(text.matches('\u{feff}').count(), 1, "one BOM, at the start ({})", t.label);
        let phones: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
        let listed = backend::contacts::search::list(&t.db, &a.actor, &ContactQuery { per_page: 100, ..query() }).await.unwrap();
        let first_page: Vec<String> = listed.data.iter().map(|c| format!("'{}", c.phone.clone().unwrap())).collect();
        assert_eq!(phones.len(), 1_100, "{}", t.label);
        assert_eq!(phones[..100], first_page.iter().map(String::as_str).collect::<Vec<_>>()[..], "in the list's order ({})", t.label);
        let unique: std::collections::HashSet<&&str> = phones.iter().collect();
        assert_eq!(unique.len(), 1_100, "each contact once ({})", t.label);
    }
}

#[tokio::test]
async fn one_orgs_large_import_does_not_hold_back_another_orgs() {
    use std::sync::Arc;
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let mut big = String::from("phone,name\n");
        for i in 0..30_000 {
            big.push_str(&format!("+1415{i:07},Lead {i}\n"));
        }
        let up_a = import::upload(&t.db, &a.actor, "big.csv", big.into_bytes(), now_ms()).await.unwrap();
        import::start(&t.db, &a.actor, &up_a.id, &up_a.mapping, "skip").await.unwrap();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut ctx = backend::jobs::JobContext::new(t.db.clone(), Arc::new(backend::testing::FakeGraph::default()), backend::testing::test_cipher());
        ctx.stop = stop_rx;
        let wakeups = ctx.wakeups.clone();
        let runner = Arc::new(backend::jobs::Runner::new(ctx, backend::jobs::kinds::standard(1))).spawn();
        let started = backend::testing::eventually(std::time::Duration::from_secs(20), || async {
            import::get(&t.db, &a.actor, &up_a.id).await.unwrap().status == "running"
        })
        .await;
        assert!(started, "{}", t.label);

        // B's small import, queued while A's runs, is stored before A's is done.
        let up_b = import::upload(&t.db, &b.actor, "small.csv", b"phone,name\n+447700900041,Bea\n".to_vec(), now_ms()).await.unwrap();
        import::start(&t.db, &b.actor, &up_b.id, &up_b.mapping, "skip").await.unwrap();
        wakeups.wake::<import::RunImport>();
        let b_done = backend::testing::eventually(std::time::Duration::from_secs(20), || async {
            import::get(&t.db, &b.actor, &up_b.id).await.unwrap().status == "done"
        })
        .await;
        assert!(b_done, "{}", t.label);
        let a_now = import::get(&t.db, &a.actor, &up_a.id).await.unwrap();
        assert_ne!(a_now.status, "done", "A's import was still running when B's finished ({}): {} rows done", t.label, a_now.created);

        stop_tx.send(true).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(60), runner).await.expect("the runner stops").unwrap();
    }
}
