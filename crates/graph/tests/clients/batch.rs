//! JSON `$batch`: dependsOn, a failing member, per-item throttling.

use offboard_graph::{BatchRequest, GraphError, NotApplicableReason, UserLookup};

use crate::helpers::{env, ids};

#[tokio::test]
async fn a_failing_member_fails_its_dependants_only() {
    let e = env().await;
    let reply = e
        .graph
        .batch(vec![
            BatchRequest::set_account_enabled("disable", ids::ADELE, false),
            BatchRequest::revoke_sign_in_sessions("revoke", ids::ADELE).depends_on(&["disable"]),
            BatchRequest::remove_group_member("dynamic", ids::GROUP_DYNAMIC_RETAIL, ids::ADELE),
            BatchRequest::manager("after-dynamic", ids::ADELE).depends_on(&["dynamic"]),
            BatchRequest::remove_group_member("m365", ids::GROUP_RETAIL_M365, ids::ADELE),
        ])
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let r = reply.value;
    assert_eq!(
        r.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        vec!["disable", "revoke", "dynamic", "after-dynamic", "m365"]
    );
    assert_eq!(r[0].status, 204);
    assert!(
        r[1].clone()
            .into_result::<serde_json::Value>()
            .unwrap()
            .value["value"]
            .as_bool()
            .unwrap()
    );
    let dynamic = r[2].error().unwrap();
    assert_eq!(
        dynamic.not_applicable(),
        Some(NotApplicableReason::DynamicGroup)
    );
    assert!(dynamic.request_id().is_some());
    assert_eq!(r[3].status, 424);
    assert!(matches!(r[3].error(), Some(GraphError::Permanent(_))));
    assert_eq!(r[4].status, 204);
    let t = e.sim.state();
    assert!(!t.user(ids::ADELE).unwrap().account_enabled);
    assert!(
        !t.group(ids::GROUP_RETAIL_M365)
            .unwrap()
            .members
            .contains(&ids::ADELE.to_owned())
    );
    // One round trip; five operations in the simulator's log.
    let log = e.sim.requests();
    assert_eq!(log.iter().filter(|l| l.batch_id.is_none()).count(), 1);
    let items: Vec<u16> = log
        .iter()
        .filter(|l| l.batch_id.is_some())
        .map(|l| l.status)
        .collect();
    assert_eq!(items.len(), 5);
    assert_eq!(
        items.iter().filter(|s| **s == 424).count(),
        1,
        "the dependant of the failed item was not run"
    );
}

#[tokio::test]
async fn throttled_items_and_their_dependants_are_retried() {
    let e = env().await;
    e.sim.throttle_next(1, 1);
    let reply = e
        .graph
        .batch(vec![
            BatchRequest::get_user("user", ids::ADELE),
            BatchRequest::license_details("licences", ids::ADELE).depends_on(&["user"]),
            BatchRequest::manager("manager", ids::ADELE),
        ])
        .await
        .unwrap();
    assert!(
        reply.value.iter().all(|r| r.is_success()),
        "{:?}",
        reply.value
    );
    let log = e.sim.requests();
    let batches = log.iter().filter(|l| l.path == "/$batch").count();
    assert_eq!(
        batches, 2,
        "the throttled item was resent with its dependant"
    );
    let user = reply.value[0]
        .clone()
        .into_result::<offboard_graph::User>()
        .unwrap();
    assert_eq!(user.value.id, ids::ADELE);
    let lic = reply.value[1]
        .clone()
        .into_list::<offboard_graph::LicenseDetails>()
        .unwrap();
    assert_eq!(lic.value.len(), 2);
}

#[tokio::test]
async fn more_than_twenty_requests_are_refused_before_sending() {
    let e = env().await;
    let many: Vec<_> = (0..21)
        .map(|i| BatchRequest::get_user(&i.to_string(), ids::ADELE))
        .collect();
    let err = e.graph.batch(many).await.unwrap_err();
    assert_eq!(err.code(), "InvalidBatch");
    assert!(e.sim.requests().is_empty());
}

#[tokio::test]
async fn lookups_and_nested_groups_batch_like_their_single_calls() {
    let e = env().await;
    let reply = e
        .graph
        .batch(vec![
            BatchRequest::find_users("eid", &UserLookup::EmployeeId("E1001".into())),
            BatchRequest::find_users("quote", &UserLookup::Mail("o'brien@contoso.com".into())),
            BatchRequest::transitive_member_of_groups("nested", ids::DIEGO),
        ])
        .await
        .unwrap();
    let r = reply.value;
    let found = r[0]
        .clone()
        .into_list::<offboard_graph::User>()
        .unwrap()
        .value;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, ids::ADELE);
    // The quote is escaped as OData requires, so the filter is valid and matches nobody.
    assert_eq!(r[1].status, 200);
    assert!(
        r[1].clone()
            .into_list::<offboard_graph::User>()
            .unwrap()
            .value
            .is_empty()
    );
    let batched: Vec<String> = r[2]
        .clone()
        .into_list::<offboard_graph::Group>()
        .unwrap()
        .value
        .into_iter()
        .map(|g| g.id)
        .collect();
    let single: Vec<String> = e
        .graph
        .transitive_member_of_groups(ids::DIEGO)
        .await
        .unwrap()
        .value
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(batched, single);
    assert!(batched.contains(&ids::GROUP_LICENSING_E3.to_owned()));
    assert!(batched.contains(&ids::GROUP_SYNCED.to_owned()));
}

/// A batch item's listing that has more pages carries Graph's absolute `@odata.nextLink`;
/// `next_page` turns it into a batch item that reads the next page, and refuses a link off
/// the endpoint.
#[tokio::test]
async fn a_listing_item_continues_with_its_next_link_in_another_batch() {
    let e = env().await;
    let before = e
        .sim
        .state()
        .groups
        .iter()
        .filter(|g| g.members.iter().any(|m| m == ids::ADELE))
        .count();
    e.sim.with_state(|t| {
        for n in 0..120 {
            t.groups.push(standin_tenant::model::Group {
                id: format!("page-group-{n:03}"),
                display_name: format!("Page group {n}"),
                security_enabled: true,
                members: vec![ids::ADELE.to_owned()],
                ..Default::default()
            });
        }
    });
    let first = e
        .graph
        .batch(vec![BatchRequest::member_of_groups("0", ids::ADELE)])
        .await
        .unwrap()
        .value
        .remove(0);
    let link = first.next_link().expect("more than a page").to_owned();
    assert!(link.starts_with(e.sim.graph_base().as_str()), "{link}");
    let page1 = first.into_list::<offboard_graph::Group>().unwrap().value;
    assert_eq!(page1.len(), 100, "the simulator's default page size");
    let next = e.graph.next_page("1", &link).unwrap();
    assert!(next.url.starts_with("/users/"), "relative: {}", next.url);
    let second = e.graph.batch(vec![next]).await.unwrap().value.remove(0);
    assert!(second.next_link().is_none());
    let page2 = second.into_list::<offboard_graph::Group>().unwrap().value;
    assert_eq!(page1.len() + page2.len(), before + 120);
    assert!(
        e.graph
            .next_page("x", "https://graph.example.net/v1.0/users?$skiptoken=1")
            .is_err()
    );
}
