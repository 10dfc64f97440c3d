//! The token endpoint's HTTP protocol, spoken by a plain HTTP client, and the validator.

use std::time::Duration;

use standin_identity::{
    COSMOS_RESOURCE, EXCHANGE_RESOURCE, GRAPH_RESOURCE, IdentityConfig, IdentityEndpoint,
    IdentitySelector, ManagedIdentity, ResourceGrant, STORAGE_RESOURCE, TokenRejection, TokenSpec,
};

fn config() -> IdentityConfig {
    let mut config = IdentityConfig::default();
    if let Some(system) = config.system_assigned.as_mut() {
        system.grants = vec![
            ResourceGrant {
                resource: format!("{GRAPH_RESOURCE}/"),
                roles: vec![
                    "User.Read.All".into(),
                    "User.EnableDisableAccount.All".into(),
                ],
            },
            ResourceGrant {
                resource: EXCHANGE_RESOURCE.into(),
                roles: vec!["Exchange.ManageAsApp".into()],
            },
        ];
    }
    config.user_assigned.push(ManagedIdentity {
        client_id: "11111111-2222-3333-4444-555555555555".into(),
        object_id: "66666666-7777-8888-9999-000000000000".into(),
        resource_id: Some("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami".into()),
        display_name: "uami".into(),
        grants: vec![ResourceGrant {
            resource: GRAPH_RESOURCE.into(),
            roles: vec!["User.Read.All".into()],
        }],
    });
    config
}

fn decode_claims(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("jwt has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("payload is base64url");
    serde_json::from_slice(&bytes).expect("payload is json")
}

#[tokio::test]
async fn issues_app_service_shaped_tokens_with_roles_per_resource() {
    let handle = IdentityEndpoint::spawn(config()).await.unwrap();
    let http = reqwest::Client::new();
    let get = |resource: &str, extra: &[(&str, &str)]| {
        let mut q = vec![
            ("resource", resource.to_owned()),
            ("api-version", "2019-08-01".to_owned()),
        ];
        q.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        http.get(handle.endpoint_url())
            .query(&q)
            .header("X-IDENTITY-HEADER", handle.header_secret())
    };

    let rsp = get(GRAPH_RESOURCE, &[]).send().await.unwrap();
    assert_eq!(rsp.status(), 200);
    let body: serde_json::Value = rsp.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["resource"], GRAPH_RESOURCE);
    assert_eq!(body["client_id"], standin_identity::DEMO_CLIENT_ID);
    let expires_on = body["expires_on"].as_str().expect("expires_on is a string");
    let not_before = body["not_before"].as_str().expect("not_before is a string");
    let exp: i64 = expires_on.parse().unwrap();
    let nbf: i64 = not_before.parse().unwrap();
    assert!(
        (exp - nbf - 24 * 3600).abs() <= 1,
        "default lifetime is a day"
    );
    let token = body["access_token"].as_str().unwrap();
    let claims = decode_claims(token);
    assert_eq!(
        claims["iss"],
        format!(
            "https://sts.windows.net/{}/",
            standin_identity::DEMO_TENANT_ID
        )
    );
    assert_eq!(claims["aud"], GRAPH_RESOURCE);
    assert_eq!(claims["tid"], standin_identity::DEMO_TENANT_ID);
    assert_eq!(claims["oid"], standin_identity::DEMO_OBJECT_ID);
    assert_eq!(claims["appid"], standin_identity::DEMO_CLIENT_ID);
    assert_eq!(claims["azp"], standin_identity::DEMO_CLIENT_ID);
    assert_eq!(claims["exp"].as_i64(), Some(exp));
    assert_eq!(
        claims["roles"],
        serde_json::json!(["User.EnableDisableAccount.All", "User.Read.All"])
    );
    let validated = handle
        .validator()
        .verify(token, "https://graph.microsoft.com/")
        .unwrap();
    assert!(validated.has_role("User.EnableDisableAccount.All"));

    // Exchange gets only its own role; storage and Cosmos get a token with no roles claim.
    let ex: serde_json::Value = get(EXCHANGE_RESOURCE, &[])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        decode_claims(ex["access_token"].as_str().unwrap())["roles"],
        serde_json::json!(["Exchange.ManageAsApp"])
    );
    for resource in [format!("{STORAGE_RESOURCE}/"), COSMOS_RESOURCE.to_owned()] {
        let rsp = get(&resource, &[]).send().await.unwrap();
        assert_eq!(rsp.status(), 200);
        let body: serde_json::Value = rsp.json().await.unwrap();
        let claims = decode_claims(body["access_token"].as_str().unwrap());
        assert_eq!(
            claims["aud"],
            resource.as_str(),
            "aud echoes the resource as requested"
        );
        assert!(claims.get("roles").is_none());
    }

    // User-assigned by client id, object id (and its alias) and resource id.
    for (key, value) in [
        ("client_id", "11111111-2222-3333-4444-555555555555"),
        ("principal_id", "66666666-7777-8888-9999-000000000000"),
        ("object_id", "66666666-7777-8888-9999-000000000000"),
        (
            "mi_res_id",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami",
        ),
    ] {
        let body: serde_json::Value = get(GRAPH_RESOURCE, &[(key, value)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            body["client_id"], "11111111-2222-3333-4444-555555555555",
            "selector {key}"
        );
        assert_eq!(
            decode_claims(body["access_token"].as_str().unwrap())["roles"],
            serde_json::json!(["User.Read.All"])
        );
    }
    assert_eq!(handle.issuer().tokens_issued_for(GRAPH_RESOURCE), 5);
    assert_eq!(handle.issuer().tokens_issued_for(STORAGE_RESOURCE), 1);
    assert_eq!(handle.tokens_issued(), 8);
    handle.shutdown().await;
}

#[tokio::test]
async fn refuses_requests_like_app_service() {
    let handle = IdentityEndpoint::spawn(config()).await.unwrap();
    let http = reqwest::Client::new();
    let url = handle.endpoint_url();
    let ok_query = [("resource", GRAPH_RESOURCE), ("api-version", "2019-08-01")];

    let missing = http.get(&url).query(&ok_query).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let wrong = http
        .get(&url)
        .query(&ok_query)
        .header("X-IDENTITY-HEADER", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["statusCode"], 401);
    assert!(body["correlationId"].is_string());

    let secret = handle.header_secret().to_owned();
    let unknown = http
        .get(&url)
        .query(&ok_query)
        .query(&[("client_id", "not-assigned")])
        .header("X-IDENTITY-HEADER", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(
        body["message"],
        "Unable to load the proper Managed Identity."
    );

    let two = http
        .get(&url)
        .query(&ok_query)
        .query(&[("client_id", "a"), ("object_id", "b")])
        .header("X-IDENTITY-HEADER", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(two.status(), 400);
    let old = http
        .get(&url)
        .query(&[("resource", GRAPH_RESOURCE), ("api-version", "2017-09-01")])
        .header("X-IDENTITY-HEADER", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 400);
    let no_resource = http
        .get(&url)
        .query(&[("api-version", "2019-08-01")])
        .header("X-IDENTITY-HEADER", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(no_resource.status(), 400);
    assert_eq!(
        handle.tokens_issued(),
        0,
        "no refused request issues a token"
    );
    let post = http
        .post(&url)
        .query(&ok_query)
        .header("X-IDENTITY-HEADER", &secret)
        .send()
        .await
        .unwrap();
    assert_ne!(post.status(), 200);
}

#[tokio::test]
async fn validator_checks_signature_audience_and_lifetime() {
    let handle = IdentityEndpoint::spawn(config()).await.unwrap();
    let issuer = handle.issuer();
    let validator = handle.validator();
    let spec = |resource: &str, shift: i64| TokenSpec {
        identity: IdentitySelector::SystemAssigned,
        resource: resource.into(),
        roles: None,
        shift_secs: shift,
        lifetime: Some(Duration::from_secs(600)),
    };
    let good = issuer.mint(&spec(GRAPH_RESOURCE, 0)).unwrap();
    assert!(validator.verify(&good, GRAPH_RESOURCE).is_ok());
    assert!(
        validator
            .verify_header(Some(&format!("Bearer {good}")), GRAPH_RESOURCE)
            .is_ok()
    );
    assert_eq!(
        validator.verify_header(None, GRAPH_RESOURCE),
        Err(TokenRejection::Missing)
    );
    assert_eq!(
        validator.verify(&good, EXCHANGE_RESOURCE),
        Err(TokenRejection::WrongAudience)
    );
    let expired = issuer.mint(&spec(GRAPH_RESOURCE, -601)).unwrap();
    assert_eq!(
        validator.verify(&expired, GRAPH_RESOURCE),
        Err(TokenRejection::Expired)
    );
    assert!(
        validator
            .clone()
            .with_leeway(300)
            .verify(&expired, GRAPH_RESOURCE)
            .is_ok()
    );
    let future = issuer.mint(&spec(GRAPH_RESOURCE, 120)).unwrap();
    assert_eq!(
        validator.verify(&future, GRAPH_RESOURCE),
        Err(TokenRejection::NotYetValid)
    );

    // Tamper with the payload: the signature no longer verifies.
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut claims = decode_claims(&good);
    claims["roles"] = serde_json::json!(["Directory.ReadWrite.All"]);
    use base64::Engine as _;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&claims).unwrap());
    assert_eq!(
        validator.verify(&parts.join("."), GRAPH_RESOURCE),
        Err(TokenRejection::BadSignature)
    );
    assert_eq!(
        validator.verify("not-a-jwt", GRAPH_RESOURCE),
        Err(TokenRejection::Malformed)
    );

    // A token from another issuer (another process's key) is refused too.
    let other = IdentityEndpoint::spawn(config()).await.unwrap();
    let foreign = other.issuer().mint(&spec(GRAPH_RESOURCE, 0)).unwrap();
    assert_eq!(
        validator.verify(&foreign, GRAPH_RESOURCE),
        Err(TokenRejection::BadSignature)
    );

    // Expiring issued tokens refuses old ones and accepts new ones.
    issuer.expire_issued_tokens();
    assert_eq!(
        validator.verify(&good, GRAPH_RESOURCE),
        Err(TokenRejection::Expired)
    );
    let fresh = issuer.mint(&spec(GRAPH_RESOURCE, 0)).unwrap();
    assert!(validator.verify(&fresh, GRAPH_RESOURCE).is_ok());

    // Roles changed after the fact show in tokens issued afterwards.
    assert!(issuer.set_roles(
        standin_identity::DEMO_CLIENT_ID,
        GRAPH_RESOURCE,
        vec!["GroupMember.ReadWrite.All".into()]
    ));
    let changed = issuer
        .mint(&spec("https://graph.microsoft.com/", 0))
        .unwrap();
    assert_eq!(
        validator.verify(&changed, GRAPH_RESOURCE).unwrap().roles,
        vec!["GroupMember.ReadWrite.All".to_owned()]
    );
    assert!(!issuer.set_roles("unknown", GRAPH_RESOURCE, vec![]));

    // Debug output never shows the secret.
    let debug = format!("{handle:?} {issuer:?} {validator:?}");
    assert!(!debug.contains(handle.header_secret()));
}
