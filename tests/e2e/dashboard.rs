//! The dashboard through the local Functions host (issue 19): every page renders from real
//! cases for a signed-in auditor and operator, under a strict Content-Security-Policy, with
//! every value escaped (a leaver named `<script>…` and an operator's reason saying the same);
//! filters and search narrow the list; an auditor sees no retry button and no plan preview;
//! an operator's retry through the page's form is recorded with who they are.

use offboard_core::case::CaseStatus;
use offboard_core::ids::Sha256Digest;
use offboard_testkit::{AUDITOR_UPN, BrowserSession, OPERATOR_UPN, TestApp, browser};
use reqwest::header::{COOKIE, LOCATION};
use serde_json::json;
use std::time::Duration;

use crate::on_embedded;
use crate::pipeline::{ADELE, finished, terminate};
use crate::roles::case_with_a_failed_step;

/// The XLSX export holds the CSV export's header and rows (the CSV's apostrophe against
/// formulas aside: a spreadsheet never runs a text cell) and its row count on the Report sheet.
fn assert_same_rows(csv: &[u8], xlsx: &[u8]) {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let mut book: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).expect("an XLSX workbook");
    let sheet = book
        .worksheet_range("Terminations")
        .expect("the data sheet");
    let mut reader = csv::Reader::from_reader(csv);
    let mut expected = vec![
        reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect::<Vec<_>>(),
    ];
    for r in reader.records() {
        expected.push(
            r.unwrap()
                .iter()
                .map(|c| match c.strip_prefix('\'') {
                    Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
                        rest.to_owned()
                    }
                    _ => c.to_owned(),
                })
                .collect(),
        );
    }
    let got: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::Float(f) => f.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(got.len(), expected.len(), "header and every row");
    for (g, e) in got.iter().zip(&expected) {
        for (gv, ev) in g.iter().zip(e) {
            let same = gv == ev
                || gv
                    .parse::<f64>()
                    .ok()
                    .zip(ev.parse::<f64>().ok())
                    .is_some_and(|(a, b)| a == b);
            assert!(same, "xlsx {gv:?}, csv {ev:?}");
        }
    }
    let facts = book.worksheet_range("Report").expect("the facts sheet");
    let rows = facts
        .rows()
        .find(|r| r.first() == Some(&Data::String("Rows".into())))
        .expect("the row count");
    assert_eq!(rows[1].to_string(), (expected.len() - 1).to_string());
}

const EVIL: &str = "<script>alert('x')</script>";
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// GETs a dashboard path in `s`'s browser; answers status and page, after checking the
/// headers every page carries.
async fn page(app: &TestApp, s: &BrowserSession, path: &str) -> (u16, String) {
    let r = browser()
        .get(format!("{}{path}", app.base_url()))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let h = r.headers().clone();
    let text = r.text().await.unwrap();
    assert_eq!(h["content-security-policy"], CSP, "{path}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
    assert_eq!(h["cache-control"], "no-store", "{path}");
    assert!(
        h["content-type"].to_str().unwrap().starts_with("text/html"),
        "{path}"
    );
    (status, text)
}

/// No script element but the two files the layout loads from this site, no inline handler.
fn only_own_script(html: &str) {
    let scripts = html.matches("<script").count();
    assert_eq!(
        scripts,
        html.matches(r#"<script src="/api/dashboard/assets/dashboard.js""#)
            .count()
            + html
                .matches(r#"<script src="/api/dashboard/assets/verify.js""#)
                .count(),
        "only the dashboard's own script file: {html}"
    );
    assert!(!html.contains("onerror=") && !html.contains("onclick="));
}

on_embedded!(
    every_page_renders_escaped_under_a_strict_csp_for_auditor_and_operator,
    |app: TestApp| async move {
        // A leaver whose display name is markup, and an operator's reason that is too.
        app.sim.with_state(|t| {
            t.user_mut(ADELE).unwrap().display_name = EVIL.to_owned();
        });
        let upn = crate::pipeline::upn(&app, ADELE);
        let a = app
            .post_offboarding(&json!({"employee": {"userPrincipalName": upn}, "reason": EVIL}))
            .await;
        assert_eq!(a.status, 202, "{}", a.json);
        let id = a.json["caseId"].as_str().unwrap().to_owned();
        finished(&app, &id).await;
        let other = terminate(&app, "E1005").await;
        finished(&app, &other).await;

        // Without a session a page sends the browser to sign in, and back.
        let r = browser()
            .get(format!(
                "{}/api/dashboard/cases?status=completed",
                app.base_url()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(
            r.headers()[LOCATION],
            "/api/signin?returnTo=%2Fapi%2Fdashboard%2Fcases%3Fstatus%3Dcompleted"
        );

        let auditor = app
            .sign_in(AUDITOR_UPN, &["Offboard.Auditor"])
            .await
            .unwrap();
        let (s, overview) = page(&app, &auditor, "/api/dashboard").await;
        assert_eq!(s, 200, "{overview}");
        assert!(overview.contains("All cases") && overview.contains("Ledger"));
        assert!(
            overview.contains(AUDITOR_UPN),
            "the page says who is signed in"
        );
        assert!(
            !overview.contains("Plan preview"),
            "an auditor has no plan preview"
        );
        only_own_script(&overview);

        let (s, list) = page(&app, &auditor, "/api/dashboard/cases").await;
        assert_eq!(s, 200, "{list}");
        assert!(list.contains(&format!("/api/dashboard/cases/{id}")));
        assert!(list.contains(&format!("/api/dashboard/cases/{other}")));
        assert!(list.contains("2 cases"), "{list}");
        assert!(
            !list.contains(EVIL),
            "the display name is escaped in the list"
        );
        assert!(list.contains("&lt;script&gt;alert("), "{list}");
        only_own_script(&list);
        // Search by employee id and by UPN; filters narrow the list.
        let (_, found) = page(&app, &auditor, "/api/dashboard/cases?q=E1005").await;
        assert!(found.contains("1 cases") && found.contains(&other) && !found.contains(&id));
        let (_, found) = page(&app, &auditor, &format!("/api/dashboard/cases?q={upn}")).await;
        assert!(found.contains("1 cases") && found.contains(&id), "{found}");
        let (_, by_source) = page(&app, &auditor, "/api/dashboard/cases?source=operator").await;
        assert!(by_source.contains("1 cases") && by_source.contains(&id));
        let (_, none) = page(&app, &auditor, "/api/dashboard/cases?status=cancelled").await;
        assert!(none.contains("0 cases"), "{none}");
        let (s, bad) = page(&app, &auditor, "/api/dashboard/cases?status=%3Cb%3E").await;
        assert_eq!(s, 400);
        assert!(!bad.contains("<b>"), "the refused value is escaped too");

        let (s, case) = page(&app, &auditor, &format!("/api/dashboard/cases/{id}")).await;
        assert_eq!(s, 200, "{case}");
        assert!(!case.contains(EVIL), "display name and reason are escaped");
        assert!(case.matches("&lt;script&gt;alert(").count() >= 2, "{case}");
        assert!(case.contains("Actions: expected → observed"));
        assert!(case.contains("Seal") && case.contains("Ledger entry"));
        assert!(case.contains(OPERATOR_UPN), "who asked for the offboarding");
        let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
        for r in ev.json["packet"]["records"].as_array().unwrap() {
            assert!(
                case.contains(r["hash"].as_str().unwrap()),
                "every record hash is on the page"
            );
        }
        assert!(
            !case.contains("Retry "),
            "no retry button on a completed case"
        );
        assert!(
            case.contains(&format!(r#"data-evidence="/api/cases/{id}/evidence""#))
                && case.contains("Verify in this browser"),
            "the case page offers the in-browser verifier"
        );
        only_own_script(&case);

        let (s, reports) = page(
            &app,
            &auditor,
            "/api/dashboard/reports?from=2000-01-01&to=2100-12-31",
        )
        .await;
        assert_eq!(s, 200, "{reports}");
        let csv = app
            .get_bytes("/api/reports/terminations?from=2000-01-01&to=2100-12-31&format=csv")
            .await;
        let sha = csv.1["offboard-report-sha256"].to_str().unwrap().to_owned();
        assert!(
            reports.contains(&sha),
            "the page shows the export's SHA-256"
        );
        assert!(
            reports.contains("<dd>2</dd>"),
            "and its row count: {reports}"
        );
        // The XLSX download: the hash the page shows, the CSV's rows cell for cell, and the
        // report's facts on their own sheet.
        let (status, headers, xlsx) = app
            .get_bytes("/api/reports/terminations?from=2000-01-01&to=2100-12-31&format=xlsx")
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            headers["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let xlsx_sha = Sha256Digest::of(&xlsx).to_hex();
        assert_eq!(headers["offboard-report-sha256"], xlsx_sha.as_str());
        assert!(
            reports.contains(&xlsx_sha),
            "the page shows the XLSX file's SHA-256, and the download is that file"
        );
        assert_same_rows(&csv.2, &xlsx);
        // The CSV download opens with the session's cookie.
        let r = browser()
            .get(format!(
                "{}/api/reports/terminations?from=2000-01-01&to=2100-12-31&format=csv",
                app.base_url()
            ))
            .header(COOKIE, &auditor.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["offboard-report-sha256"], sha.as_str());

        let (s, _) = page(&app, &auditor, &format!("/api/dashboard/plan?who={upn}")).await;
        assert_eq!(s, 403, "the plan preview is for operators");

        let operator = app
            .sign_in(OPERATOR_UPN, &["Offboard.Operator"])
            .await
            .unwrap();
        let (s, overview) = page(&app, &operator, "/api/dashboard").await;
        assert_eq!(s, 200);
        assert!(overview.contains("Plan preview"));
        let alex = crate::pipeline::upn(&app, crate::pipeline::ALEX);
        let (s, plan) = page(&app, &operator, &format!("/api/dashboard/plan?who={alex}")).await;
        assert_eq!(s, 200, "{plan}");
        assert!(plan.contains("nothing was changed") && plan.contains("block-sign-in"));
        only_own_script(&plan);
        // The assets come from the handler with their types.
        for (asset, ty) in [
            ("dashboard.css", "text/css"),
            ("dashboard.js", "text/javascript"),
            ("verify.js", "text/javascript"),
        ] {
            let r = browser()
                .get(format!("{}/api/dashboard/assets/{asset}", app.base_url()))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with(ty)
            );
        }
        app.shutdown().await;
    }
);

on_embedded!(
    an_operator_retries_from_the_case_page_and_an_auditor_sees_no_button,
    |app: TestApp| async move {
        let id = case_with_a_failed_step(&app).await;
        let path = format!("/api/dashboard/cases/{id}");
        let auditor = app
            .sign_in(AUDITOR_UPN, &["Offboard.Auditor"])
            .await
            .unwrap();
        let (_, seen) = page(&app, &auditor, &path).await;
        assert!(seen.contains("failed"), "{seen}");
        assert!(
            !seen.contains("Retry reset-password"),
            "an auditor has no retry button"
        );

        let operator = app
            .sign_in(OPERATOR_UPN, &["Offboard.Operator"])
            .await
            .unwrap();
        let (_, seen) = page(&app, &operator, &path).await;
        let action = format!(r#"action="/api/dashboard/cases/{id}/steps/reset-password/retry""#);
        assert!(seen.contains(&action), "{seen}");
        assert!(seen.contains("Retry reset-password"));
        assert!(
            seen.contains(&format!(r#"name="csrf" value="{}""#, operator.csrf)),
            "the form carries the session's anti-forgery token"
        );
        let post = format!(
            "{}/api/dashboard/cases/{id}/steps/reset-password/retry",
            app.base_url()
        );
        // A forged form (the cookie rides along, the token does not): refused.
        let r = browser()
            .post(&post)
            .header(COOKIE, &operator.cookie)
            .form(&[("csrf", "forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // The auditor's own form would be refused too.
        let r = browser()
            .post(&post)
            .header(COOKIE, &auditor.cookie)
            .form(&[("csrf", auditor.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // The operator's form: back to the case, the retry recorded with who did it.
        let r = browser()
            .post(&post)
            .header(COOKIE, &operator.cookie)
            .form(&[("csrf", operator.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[LOCATION], path.as_str());
        app.wait_case(&id, Duration::from_secs(120), |c| {
            c.case.status == CaseStatus::Completed
        })
        .await;
        let ev = app.get(&format!("/api/cases/{id}/evidence")).await;
        let actions: Vec<_> = ev.json["packet"]["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["step"] == "human-action")
            .collect();
        assert_eq!(actions.len(), 1);
        let by = &actions[0]["details"]["by"];
        assert_eq!(by["userPrincipalName"], OPERATOR_UPN);
        assert_eq!(by["signedInWith"], "session");
        assert_eq!(
            by["objectId"],
            app.entra.person(OPERATOR_UPN).unwrap().object_id.as_str()
        );
        app.shutdown().await;
    }
);

on_embedded!(
    the_cases_list_pages_by_fifty_and_keeps_its_filters_across_pages,
    |app: TestApp| async move {
        // 51 terminations due tomorrow: each is a scheduled case in the index at once.
        for _ in 0..51 {
            let id = crate::helpers::event_id();
            let a = app
                .post_generic(&crate::helpers::generic_termination(
                    &id,
                    &crate::helpers::in_secs(86_400),
                    "voluntary",
                ))
                .await;
            assert_eq!(a.status, 202, "{}", a.json);
        }
        let auditor = app
            .sign_in(AUDITOR_UPN, &["Offboard.Auditor"])
            .await
            .unwrap();
        let rows = |html: &str| {
            html.matches("<tr><td><a href=\"/api/dashboard/cases/")
                .count()
        };
        let (s, first) = page(&app, &auditor, "/api/dashboard/cases?status=scheduled").await;
        assert_eq!(s, 200);
        assert!(
            first.contains("51 cases") && first.contains("page 1 of 2"),
            "{first}"
        );
        assert_eq!(rows(&first), 50);
        let next = "status=scheduled&amp;page=2";
        assert!(
            first.contains(next),
            "the next page keeps the filter: {first}"
        );
        assert!(!first.contains("rel=\"prev\""));
        let (_, second) = page(
            &app,
            &auditor,
            "/api/dashboard/cases?status=scheduled&page=2",
        )
        .await;
        assert!(second.contains("page 2 of 2"), "{second}");
        assert_eq!(rows(&second), 1);
        assert!(second.contains("rel=\"prev\"") && !second.contains("rel=\"next\""));
        // A page past the end shows the last one.
        let (_, past) = page(&app, &auditor, "/api/dashboard/cases?page=9").await;
        assert!(past.contains("page 2 of 2"));
        app.shutdown().await;
    }
);
