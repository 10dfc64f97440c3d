//! Every change is announced, with the `client-request-id` it carries, before it is sent;
//! reads are not; a journal that cannot record the announcement keeps the change unsent.

use std::sync::{Arc, Mutex};

use offboard_graph::{GraphError, WriteAnnouncement, WriteJournal, with_journal};

use crate::helpers::{env, ids};

/// What a journal was told, and whether it accepts.
#[derive(Default)]
struct Journal {
    seen: Mutex<Vec<(String, String, String, String)>>,
    refuse: bool,
}

#[async_trait::async_trait]
impl WriteJournal for Journal {
    async fn before_write(&self, w: WriteAnnouncement<'_>) -> Result<(), String> {
        self.seen.lock().unwrap().push((
            w.service.to_owned(),
            format!("{} {}", w.method, w.path),
            w.operation.to_owned(),
            w.client_request_id.to_owned(),
        ));
        if self.refuse {
            return Err("the evidence store is unavailable".into());
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_change_is_announced_with_the_client_request_id_it_is_sent_with() {
    let e = env().await;
    let journal = Arc::new(Journal::default());
    with_journal(journal.clone(), async {
        e.graph.get_user(ids::ADELE).await.unwrap();
        e.graph
            .set_account_enabled(ids::ADELE, false)
            .await
            .unwrap();
        e.exchange.convert_to_shared(ids::ADELE).await.unwrap();
    })
    .await;
    let seen = journal.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "the read is not announced: {seen:?}");
    assert_eq!(seen[0].0, "graph");
    assert_eq!(seen[0].1, format!("PATCH /users/{}", ids::ADELE));
    assert_eq!(
        (seen[1].0.as_str(), seen[1].2.as_str()),
        ("exchange", "Set-Mailbox")
    );
    let log = e.sim.requests();
    let patch = log.iter().find(|r| r.method == "PATCH").unwrap();
    assert_eq!(patch.client_request_id.as_deref(), Some(seen[0].3.as_str()));
    let cmdlet = log
        .iter()
        .find(|r| r.cmdlet.as_deref() == Some("Set-Mailbox"))
        .unwrap();
    assert_eq!(
        cmdlet.client_request_id.as_deref(),
        Some(seen[1].3.as_str())
    );
}

#[tokio::test]
async fn a_change_that_cannot_be_announced_is_not_sent() {
    let e = env().await;
    let journal = Arc::new(Journal {
        refuse: true,
        ..Journal::default()
    });
    let result = with_journal(
        journal.clone(),
        e.graph.set_account_enabled(ids::ADELE, false),
    )
    .await;
    let err = result.unwrap_err();
    assert!(matches!(err, GraphError::Transient(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("the evidence store is unavailable"),
        "{err}"
    );
    assert_eq!(journal.seen.lock().unwrap().len(), 1);
    assert!(
        e.sim.requests().iter().all(|r| r.method != "PATCH"),
        "the refused change reached the tenant"
    );
    assert!(e.sim.state().user(ids::ADELE).unwrap().account_enabled);
}

#[tokio::test]
async fn outside_a_journal_nothing_is_announced_and_changes_are_sent() {
    let e = env().await;
    e.graph
        .set_account_enabled(ids::ADELE, false)
        .await
        .unwrap();
    assert!(!e.sim.state().user(ids::ADELE).unwrap().account_enabled);
}
