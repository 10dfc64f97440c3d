//! Reading settings: defaults, refusals that name the setting, secrets never shown.

use super::*;
use std::collections::HashMap;

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn azure_needs_its_endpoints_and_names_the_missing_one() {
    let err = Settings::from_lookup(lookup(&[])).unwrap_err();
    assert_eq!(err.name, OFFBOARD_COSMOS_ENDPOINT);
    let s = Settings::from_lookup(lookup(&[
        (OFFBOARD_COSMOS_ENDPOINT, "https://a.documents.azure.com/"),
        (
            OFFBOARD_STORAGE_QUEUE_ENDPOINT,
            "https://a.queue.core.windows.net/",
        ),
        (OFFBOARD_TIME_ZONE, "Europe/Berlin"),
        (OFFBOARD_SCIM_TOKEN, "t0ken-0123456789abcdef0123456789ab"),
    ]))
    .unwrap();
    assert!(matches!(s.backend, Backend::Azure(_)));
    assert_eq!(s.effective.time_zone, chrono_tz::Europe::Berlin);
    assert!(!format!("{s:?}").contains("t0ken"));
}

#[test]
fn graph_endpoint_gets_its_version() {
    assert_eq!(graph_endpoint(None), "https://graph.microsoft.com/v1.0");
    assert_eq!(
        graph_endpoint(Some("https://graph.microsoft.com/".into())),
        "https://graph.microsoft.com/v1.0"
    );
    assert_eq!(
        graph_endpoint(Some("http://127.0.0.1:9/v1.0".into())),
        "http://127.0.0.1:9/v1.0"
    );
}

#[test]
fn unresolved_key_vault_references_count_as_unset() {
    let s = Settings::from_lookup(lookup(&[
        (OFFBOARD_BACKEND, "embedded"),
        (OFFBOARD_EMBEDDED_PATH, "/tmp/x"),
        (
            OFFBOARD_BAMBOOHR_SECRET,
            "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/bamboohr/)",
        ),
        (OFFBOARD_SCIM_TOKEN, "real-token-0123456789abcdef0123456789"),
    ]))
    .unwrap();
    assert!(s.secrets.bamboohr.is_none());
    assert!(s.secrets.scim.is_some());
    assert!(s.evidence.worm);
    assert_eq!(s.evidence.retention_days, 2555);
}

fn embedded(extra: &[(&'static str, &'static str)]) -> Result<Settings, SettingsError> {
    let mut pairs = vec![
        (OFFBOARD_BACKEND, "embedded"),
        (OFFBOARD_EMBEDDED_PATH, "/tmp/x"),
    ];
    pairs.extend_from_slice(extra);
    Settings::from_lookup(lookup(&pairs))
}

#[test]
fn notification_settings_are_parsed_and_secrets_stay_out_of_debug() {
    let s = embedded(&[]).unwrap();
    assert!(s.notify.teams_webhook_url.is_none());
    assert!(s.notify.webhook_url.is_none() && s.notify.mail.is_none());
    let s = embedded(&[
        (
            OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET,
            "https://contoso.webhook.office.com/webhookb2/abc?sig=t3amsSig",
        ),
        (
            OFFBOARD_NOTIFY_WEBHOOK_URL,
            "https://hooks.contoso.com/offboard",
        ),
        (
            OFFBOARD_NOTIFY_WEBHOOK_SECRET,
            "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTAxMjM0NTY3ODk=",
        ),
        (OFFBOARD_NOTIFY_MAIL_FROM, "offboard@contoso.com"),
        (
            OFFBOARD_NOTIFY_MAIL_TO,
            "it-sec@contoso.com; compliance@contoso.com,",
        ),
    ])
    .unwrap();
    assert!(s.notify.teams_webhook_url.is_some());
    assert_eq!(
        s.notify.mail,
        Some(MailSettings {
            from: "offboard@contoso.com".into(),
            to: vec!["it-sec@contoso.com".into(), "compliance@contoso.com".into()],
        })
    );
    let debug = format!("{s:?}");
    assert!(!debug.contains("t3amsSig") && !debug.contains("c2VjcmV0"));
    assert!(
        debug.contains("hooks.contoso.com"),
        "the plain URL is shown"
    );
    // An unresolved Key Vault reference is unset, like every secret.
    let s = embedded(&[(
        OFFBOARD_NOTIFY_TEAMS_WEBHOOK_URL_SECRET,
        "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/notify-teams-webhook-url/)",
    )])
    .unwrap();
    assert!(s.notify.teams_webhook_url.is_none());
    // A mailbox given by object id.
    let s = embedded(&[
        (
            OFFBOARD_NOTIFY_MAIL_FROM,
            "5f0b2d4e-6a7c-4d8e-9f01-23456789abcd",
        ),
        (OFFBOARD_NOTIFY_MAIL_TO, "it@contoso.com"),
    ])
    .unwrap();
    assert!(s.notify.mail.is_some());
}

#[test]
fn bad_notification_settings_are_refused_with_the_setting_name() {
    for (pairs, name) in [
        (
            vec![(OFFBOARD_NOTIFY_WEBHOOK_URL, "http://hooks.contoso.com/x")],
            OFFBOARD_NOTIFY_WEBHOOK_URL,
        ),
        (
            vec![(
                OFFBOARD_NOTIFY_WEBHOOK_URL,
                "https://u:pw@hooks.contoso.com/x",
            )],
            OFFBOARD_NOTIFY_WEBHOOK_URL,
        ),
        (
            vec![(OFFBOARD_NOTIFY_WEBHOOK_URL, "hooks.contoso.com")],
            OFFBOARD_NOTIFY_WEBHOOK_URL,
        ),
        (
            vec![(OFFBOARD_NOTIFY_MAIL_FROM, "offboard@contoso.com")],
            OFFBOARD_NOTIFY_MAIL_TO,
        ),
        (
            vec![(OFFBOARD_NOTIFY_MAIL_TO, "it@contoso.com")],
            OFFBOARD_NOTIFY_MAIL_FROM,
        ),
        (
            vec![
                (OFFBOARD_NOTIFY_MAIL_FROM, "offboard"),
                (OFFBOARD_NOTIFY_MAIL_TO, "it@contoso.com"),
            ],
            OFFBOARD_NOTIFY_MAIL_FROM,
        ),
        (
            vec![
                (OFFBOARD_NOTIFY_MAIL_FROM, "offboard@contoso.com"),
                (
                    OFFBOARD_NOTIFY_MAIL_TO,
                    "it@contoso.com, IT Team <it@contoso>",
                ),
            ],
            OFFBOARD_NOTIFY_MAIL_TO,
        ),
        (
            vec![
                (OFFBOARD_NOTIFY_MAIL_FROM, "offboard@contoso.com"),
                (OFFBOARD_NOTIFY_MAIL_TO, " ; , "),
            ],
            OFFBOARD_NOTIFY_MAIL_TO,
        ),
    ] {
        let err = embedded(&pairs).unwrap_err();
        assert_eq!(err.name, name, "{pairs:?}: {err}");
    }
    let ok = embedded(&[(OFFBOARD_NOTIFY_WEBHOOK_URL, "http://127.0.0.1:9/hook")]).unwrap();
    assert!(
        ok.notify.webhook_url.is_some(),
        "plain http on loopback is allowed"
    );
}

#[test]
fn the_agent_is_configured_by_the_relay_namespace_and_its_secrets_stay_hidden() {
    assert!(embedded(&[]).unwrap().agent.is_none(), "no relay, no agent");
    let s = embedded(&[
        (
            OFFBOARD_RELAY_NAMESPACE,
            "Contoso-Relay.servicebus.windows.net",
        ),
        (
            OFFBOARD_AGENT_SIGNING_KEY,
            "c2lnbmluZy1rZXktc2VlZC0wMTIzNDU2Nzg5YWJjZGVm",
        ),
    ])
    .unwrap();
    let a = s.agent.clone().unwrap();
    assert_eq!(a.relay.namespace(), "contoso-relay.servicebus.windows.net");
    assert_eq!(a.relay.path(), DEFAULT_HYBRID_CONNECTION);
    assert!(a.relay.is_secure());
    assert!(matches!(a.auth, RelayAuth::ManagedIdentity));
    assert!(a.signing_key.is_some());
    assert!(!format!("{s:?}").contains("c2lnbmluZy1rZXk"));

    let s = embedded(&[
        (OFFBOARD_RELAY_NAMESPACE, "http://127.0.0.1:5555"),
        (OFFBOARD_RELAY_HYBRID_CONNECTION, "hc-test"),
        (OFFBOARD_RELAY_SAS_KEY_NAME, "offboard-send"),
        (OFFBOARD_RELAY_SAS_KEY, "s3cretSasKey"),
        (
            OFFBOARD_AGENT_SIGNING_KEY,
            "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/agent-signing-key/)",
        ),
    ])
    .unwrap();
    let a = s.agent.clone().unwrap();
    assert!(!a.relay.is_secure(), "a local relay on loopback");
    assert_eq!(a.relay.path(), "hc-test");
    assert!(
        matches!(&a.auth, RelayAuth::SharedAccessKey { name: Some(n), key: Some(_) } if n == "offboard-send")
    );
    assert!(a.signing_key.is_none(), "unresolved reference = unset");
    assert!(!format!("{s:?}").contains("s3cretSasKey"));

    for (pairs, name) in [
        (
            vec![(OFFBOARD_RELAY_NAMESPACE, "http://relay.contoso.com")],
            OFFBOARD_RELAY_NAMESPACE,
        ),
        (
            vec![(OFFBOARD_RELAY_NAMESPACE, "bad host/x")],
            OFFBOARD_RELAY_NAMESPACE,
        ),
        (
            vec![
                (OFFBOARD_RELAY_NAMESPACE, "ns.servicebus.windows.net"),
                (OFFBOARD_RELAY_HYBRID_CONNECTION, "a b"),
            ],
            OFFBOARD_RELAY_HYBRID_CONNECTION,
        ),
    ] {
        let err = embedded(&pairs).unwrap_err();
        assert_eq!(err.name, name, "{pairs:?}: {err}");
    }
}

#[test]
fn bad_values_are_refused_with_the_setting_name() {
    let err = Settings::from_lookup(lookup(&[
        (OFFBOARD_BACKEND, "embedded"),
        (OFFBOARD_EMBEDDED_PATH, "/tmp/x"),
        (OFFBOARD_TIME_ZONE, "Nowhere/Land"),
    ]))
    .unwrap_err();
    assert_eq!(err.name, OFFBOARD_TIME_ZONE);
}

#[test]
fn sign_in_is_off_without_a_client_id_and_needs_the_tenant_with_one() {
    let base = [
        (OFFBOARD_BACKEND, "embedded"),
        (OFFBOARD_EMBEDDED_PATH, "/tmp/x"),
    ];
    assert!(
        Settings::from_lookup(lookup(&base))
            .unwrap()
            .signin
            .is_none()
    );
    let with = |extra: &[(&str, &str)]| {
        let mut all = base.to_vec();
        all.extend_from_slice(extra);
        Settings::from_lookup(lookup(&all))
    };
    let err = with(&[(OFFBOARD_SIGNIN_CLIENT_ID, "app")]).unwrap_err();
    assert_eq!(err.name, OFFBOARD_TENANT_ID);
    let s = with(&[
        (OFFBOARD_SIGNIN_CLIENT_ID, "app"),
        (OFFBOARD_TENANT_ID, "tenant"),
        (
            OFFBOARD_SIGNIN_SESSION_KEY,
            "c2VjcmV0LXNlc3Npb24ta2V5LXRoYXQtaXMtbG9uZy1lbm91Z2g=",
        ),
    ])
    .unwrap()
    .signin
    .unwrap();
    assert_eq!(s.authority_host, "https://login.microsoftonline.com");
    assert!(
        !format!("{s:?}").contains("c2Vj"),
        "the session key is never shown"
    );
    for bad in [
        "http://login.example.com",
        "https://login.example.com/tenant/v2.0",
        "nope",
    ] {
        let err = with(&[
            (OFFBOARD_SIGNIN_CLIENT_ID, "app"),
            (OFFBOARD_TENANT_ID, "tenant"),
            (OFFBOARD_SIGNIN_AUTHORITY, bad),
        ])
        .unwrap_err();
        assert_eq!(err.name, OFFBOARD_SIGNIN_AUTHORITY, "{bad}");
    }
    let local = with(&[
        (OFFBOARD_SIGNIN_CLIENT_ID, "app"),
        (OFFBOARD_TENANT_ID, "tenant"),
        (OFFBOARD_SIGNIN_AUTHORITY, "http://127.0.0.1:4711/"),
    ])
    .unwrap();
    assert_eq!(
        local.signin.unwrap().authority_host,
        "http://127.0.0.1:4711"
    );
}
