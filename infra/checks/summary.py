"""The normalised summary of each template set (see iac.py for the idea).

``bicep_summary()`` and ``terraform_summary()`` return dicts with the same keys; a difference in
any key is a difference in what the two template sets deploy.
"""

from __future__ import annotations

import re
from typing import Any

from iac import (
    BICEP_GRAPH_MODULE,
    BICEP_IMPLICIT,
    BICEP_KINDS,
    BUILTIN_ROLES,
    OUTPUT_ALIASES,
    PARAM_ALIASES,
    TF_GRAPH_KINDS,
    TF_KINDS,
    TF_NETWORK_KINDS,
    TF_ONLY_APP_SETTINGS,
    TF_ONLY_KINDS,
    BicepFile,
    TerraformConfig,
    dig,
    enabled,
    BICEP_NETWORK_MODULE,
    BICEP_SIGNIN_MODULE,
    load_bicep,
    load_bicep_module,
    load_terraform,
    snake,
)
from network_summary import bicep_network, terraform_network, tf_instances

# ---------------------------------------------------------------------------------------------
# Bicep
# ---------------------------------------------------------------------------------------------


def _bicep_children(b: BicepFile, parent: str, rtype: str) -> list[dict]:
    return [
        b.body(sym)
        for sym, r in b.resources.items()
        if r["type"] == rtype and b.expr_text(b.body(sym).get("parent")) == parent
    ]


def _bicep_scope_name(b: BicepFile, scope: Any) -> str:
    text = b.expr_text(scope)
    return snake(re.split(r"::|\.", text)[-1] if "::" in text else text.split(".")[0])


def bicep_summary(variant: str = "public", switches: frozenset[str] = frozenset()) -> dict:
    b = load_bicep(variant=variant, switches=switches)
    g = load_bicep(BICEP_GRAPH_MODULE)
    res = b.resources
    s: dict[str, Any] = {}

    s["resources"] = sorted(
        (snake(sym), BICEP_KINDS[r["type"]])
        for sym, r in res.items()
        if r["type"] not in BICEP_IMPLICIT
    )
    unknown = {r["type"] for r in res.values()} - BICEP_KINDS.keys() - BICEP_IMPLICIT
    assert not unknown, f"resource types the parity summary does not know: {unknown}"

    s["queues"] = sorted(b.loop_array("queues"))
    s["cosmos_database"] = b.value(b.body("cosmosDatabase")["name"])
    s["cosmos_containers"] = {c["name"]: c["partitionKey"] for c in b.loop_array("cosmosContainers")}
    s["blob_containers"] = sorted(
        (_bicep_scope_name(b, b.body(sym)["parent"]).replace("_blob_service", "_storage"), b.value(b.body(sym)["name"]))
        for sym, r in res.items()
        if r["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers"
    )
    s["container_public_access"] = sorted(
        b.value(dig(b.body(sym), "properties.publicAccess"))
        for sym, r in res.items()
        if r["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers"
    )

    sec: dict[str, dict] = {}
    for sym in ("hostStorage", "evidenceStorage"):
        body = b.value(b.body(sym))
        p = body["properties"]
        blob = _bicep_children(b, sym, "Microsoft.Storage/storageAccounts/blobServices")
        blob = b.value(blob[0]["properties"]) if blob else {}
        imm = p.get("immutableStorageWithVersioning") or {}
        pol = imm.get("immutabilityPolicy") or {}
        sec[snake(sym)] = {
            "kind": body["kind"],
            "sku": body["sku"]["name"],
            "access_tier": p.get("accessTier"),
            "shared_key_access": p.get("allowSharedKeyAccess"),
            "public_blob_access": p.get("allowBlobPublicAccess"),
            "cross_tenant_replication": p.get("allowCrossTenantReplication"),
            "oauth_default": p.get("defaultToOAuthAuthentication"),
            "local_users": p.get("isLocalUserEnabled"),
            "min_tls": p.get("minimumTlsVersion"),
            "https_only": p.get("supportsHttpsTrafficOnly"),
            "public_network": enabled(p.get("publicNetworkAccess")),
            "network_default_action": dig(p, "networkAcls.defaultAction"),
            "network_bypass": dig(p, "networkAcls.bypass"),
            "sas_expiration": dig(p, "sasPolicy.sasExpirationPeriod"),
            "sas_action": dig(p, "sasPolicy.expirationAction"),
            "versioning": blob.get("isVersioningEnabled"),
            "blob_soft_delete_days": dig(blob, "deleteRetentionPolicy.days"),
            "container_soft_delete_days": dig(blob, "containerDeleteRetentionPolicy.days"),
            "immutability": bool(imm.get("enabled")),
            "immutability_state": pol.get("state"),
            "immutability_days": pol.get("immutabilityPeriodSinceCreationInDays"),
            "immutability_append_writes": pol.get("allowProtectedAppendWrites"),
        }
    cos = b.body("cosmos")
    cp = b.value(cos["properties"])
    caps_text = b.expr_text(b.body("cosmos")["properties"]["capabilities"])
    sec["cosmos"] = {
        "kind": cos["kind"],
        "serverless": bool(b.value("cosmosServerless")) and "EnableServerless" in caps_text,
        "local_auth_disabled": cp["disableLocalAuth"],
        "key_metadata_writes_disabled": cp["disableKeyBasedMetadataWriteAccess"],
        "min_tls": cp["minimalTlsVersion"],
        "public_network": enabled(cp["publicNetworkAccess"]),
        "consistency": dig(cp, "consistencyPolicy.defaultConsistencyLevel"),
        "backup": f"{dig(cp, 'backupPolicy.type')}/{dig(cp, 'backupPolicy.continuousModeProperties.tier')}",
        "zone_redundant": cp["locations"][0]["isZoneRedundant"],
    }
    kv = b.value(b.body("vault")["properties"])
    sec["vault"] = {
        "sku": kv["sku"]["name"],
        "rbac": kv["enableRbacAuthorization"],
        "purge_protection": kv["enablePurgeProtection"],
        "soft_delete_days": kv["softDeleteRetentionInDays"],
        "for_deployment": kv["enabledForDeployment"],
        "for_disk_encryption": kv["enabledForDiskEncryption"],
        "for_template_deployment": kv["enabledForTemplateDeployment"],
        "public_network": enabled(kv["publicNetworkAccess"]),
        "network_default_action": dig(kv, "networkAcls.defaultAction"),
        "network_bypass": dig(kv, "networkAcls.bypass"),
    }
    sec["relay"] = {"sku": b.value(b.body("relay"))["sku"]["name"]}
    sec["hybrid_connection"] = {
        "requires_client_authorization": dig(b.value(b.body("hybridConnection")), "properties.requiresClientAuthorization")
    }
    sec["agent_listen"] = {"rights": sorted(dig(b.value(b.body("agentListen")), "properties.rights"))}
    ai = b.value(b.body("appInsights"))
    sec["app_insights"] = {"type": dig(ai, "properties.Application_Type"), "local_auth_disabled": dig(ai, "properties.DisableLocalAuth")}
    la = b.value(b.body("logs"))
    sec["logs"] = {"sku": dig(la, "properties.sku.name"), "retention_days": dig(la, "properties.retentionInDays")}
    plan = b.value(b.body("plan"))
    sec["plan"] = {"sku": plan["sku"]["name"], "linux": dig(plan, "properties.reserved")}
    fa = b.body("functionApp")
    fp = b.value(fa["properties"])
    scm = _bicep_children(b, "functionApp", "Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    sec["function_app"] = {
        "identity": dig(fa, "identity.type"),
        "https_only": fp["httpsOnly"],
        "public_network": enabled(fp["publicNetworkAccess"]),
        "client_cert": fp["clientCertEnabled"],
        "min_tls": dig(fp, "siteConfig.minTlsVersion"),
        "http2": dig(fp, "siteConfig.http20Enabled"),
        "runtime": f"{dig(fp, 'functionAppConfig.runtime.name')}/{dig(fp, 'functionAppConfig.runtime.version')}",
        "max_instances": dig(fp, "functionAppConfig.scaleAndConcurrency.maximumInstanceCount"),
        "instance_memory": dig(fp, "functionAppConfig.scaleAndConcurrency.instanceMemoryMB"),
        "deployment_storage_auth": dig(fp, "functionAppConfig.deployment.storage.authentication.type"),
        "deployment_storage": b.sig(dig(fa, "properties.functionAppConfig.deployment.storage.value")),
        "key_vault_reference_identity": b.sig(fa["properties"]["keyVaultReferenceIdentity"]),
        "basic_auth_publishing": any(bool(x.get("properties", {}).get("allow")) for x in scm) if scm else None,
        "vnet_integration": _bicep_subnet_name(b, fp.get("virtualNetworkSubnetId")),
    }
    s["security"] = sec
    s["locks"] = sorted(
        (snake(sym), _bicep_scope_name(b, b.body(sym)["scope"]), b.body(sym)["properties"]["level"])
        for sym, r in res.items()
        if r["type"] == "Microsoft.Authorization/locks"
    )

    # App settings as signatures.
    settings = b.variables["appSettings"]["value"]
    s["app_settings"] = {k: b.sig(v) for k, v in settings.items()}

    # Role assignments: (role, scope).
    ras = []
    for sym, r in res.items():
        if r["type"] != "Microsoft.Authorization/roleAssignments":
            continue
        body = b.body(sym)
        rid = b.expr_text(body["properties"]["roleDefinitionId"])
        m = re.search(r"roleIds\.([A-Za-z]+)", rid)
        if m:
            guid = b.value("roleIds")[m.group(1)]
            role = BUILTIN_ROLES[guid]
        else:
            role = "custom:" + snake(rid.split(".")[0])
        ras.append((snake(sym), role, _bicep_scope_name(b, body["scope"])))
    s["role_assignments"] = sorted(ras)
    s["custom_roles"] = {
        snake(sym): {
            "actions": sorted(b.value(b.body(sym)["properties"]["permissions"][0]["actions"])),
            "data_actions": sorted(b.value(b.body(sym)["properties"]["permissions"][0]["dataActions"])),
        }
        for sym, r in res.items()
        if r["type"] == "Microsoft.Authorization/roleDefinitions"
    }
    cra = b.body("cosmosDataContributor")["properties"]
    s["cosmos_role_assignments"] = [
        (b.expr_text(cra["roleDefinitionId"]).rsplit("/", 1)[-1].replace("${cosmosDataContributorRoleId}", b.value("cosmosDataContributorRoleId")), _bicep_scope_name(b, cra["scope"]))
    ]
    s["diagnostics"] = sorted(
        (
            snake(sym),
            _bicep_scope_name(b, b.body(sym)["scope"]),
            b.body(sym)["properties"]["logs"][0]["categoryGroup"],
        )
        for sym, r in res.items()
        if r["type"] == "Microsoft.Insights/diagnosticSettings"
    )

    mod = b.modules["graphGrants"]["config"]["params"]
    graph_mod_types = {r["type"] for r in g.resources.values()}
    assert graph_mod_types == {"Microsoft.Graph/servicePrincipals", "Microsoft.Graph/appRoleAssignedTo"}, graph_mod_types
    graph_roles = b.value(mod["graphAppRoles"])
    assert isinstance(graph_roles, list), f"graphAppRoles must evaluate to a list: {b.expr_text(graph_roles)}"
    s["graph"] = {
        "graph": sorted(graph_roles),
        "exchange": sorted(b.value(mod["exchangeAppRoles"])),
        "directoryRoles": sorted(b.value("directoryRoles")),
    }
    s["signin"] = bicep_signin(b)
    s["network"] = bicep_network(b)
    s["variant"] = variant
    s["secrets"] = dict(sorted(b.value("secretSettings").items()))
    s["outputs"] = sorted({OUTPUT_ALIASES.get(snake(o), snake(o)) for o in b.outputs})
    s["parameters"] = {
        PARAM_ALIASES.get(snake(k), snake(k)): _bicep_param_default(b, k, v) for k, v in b.params.items()
    }
    return s


def _bicep_subnet_name(b: BicepFile, subnet: Any) -> str | None:
    """The subnet the function app is integrated with, by name (None: no VNet integration)."""
    if subnet is None:
        return None
    m = re.fullmatch(r"network\.outputs\.(\w+)", b.expr_text(subnet))
    assert m, f"virtualNetworkSubnetId must be an output of the network module, not {b.expr_text(subnet)}"
    n = load_bicep_module(b, "network", BICEP_NETWORK_MODULE)
    # resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, <subnet name>)
    rid = n.outputs[m.group(1)]["value"]["function"]
    assert rid["type"] == "resource_id" and rid["parameters"]["resource_type"] == "Microsoft.Network/virtualNetworks/subnets", rid
    return n.value(rid["parameters"]["resource_name_2"])


def _bicep_param_default(b: BicepFile, name: str, p: dict) -> Any:
    d = p.get("default")
    if name == "evidenceStorageSku":
        return str(d).split("_", 1)[1]
    if isinstance(d, (str, int, bool)) or d is None:
        return d if not isinstance(d, dict) else None
    if isinstance(d, dict) and "tags" not in name:
        return "<computed>"
    return d


# ---------------------------------------------------------------------------------------------
# Terraform
# ---------------------------------------------------------------------------------------------


def _tf_ref_name(text: str) -> str:
    m = re.search(r"(?:azurerm|azuread)_[a-z0-9_]+\.([a-z0-9_]+)", text or "")
    return m.group(1) if m else text


def terraform_summary(variant: str = "public", switches: frozenset[str] = frozenset()) -> dict:
    t = load_terraform(variant=variant, switches=switches)
    s: dict[str, Any] = {}
    unknown = (
        {rt for rt, _ in t.resources} - TF_KINDS.keys() - TF_GRAPH_KINDS - TF_NETWORK_KINDS - TF_ONLY_KINDS.keys()
    )
    assert not unknown, f"resource types the parity summary does not know: {unknown}"
    s["resources"] = sorted((n, TF_KINDS[rt]) for rt, n in t.resources if rt in TF_KINDS)

    s["queues"] = sorted(t.locals["queue_names"])
    s["cosmos_database"] = t.value(t.resource("azurerm_cosmosdb_sql_database", "cosmos_database")["name"])
    s["cosmos_containers"] = {c["name"]: c["partition_key"] for c in t.locals["cosmos_containers"]}
    s["blob_containers"] = sorted(
        (_tf_ref_name(body["storage_account_id"]), t.value(body["name"]))
        for (rt, _), body in t.resources.items()
        if rt == "azurerm_storage_container"
    )
    s["container_public_access"] = sorted(
        {"private": "None"}.get(body["container_access_type"], body["container_access_type"])
        for (rt, _), body in t.resources.items()
        if rt == "azurerm_storage_container"
    )

    sec: dict[str, dict] = {}
    for name in ("host_storage", "evidence_storage"):
        body = t.value(t.resource("azurerm_storage_account", name))
        imm = dig(body, "immutability_policy") or {}
        sec[name] = {
            "kind": body["account_kind"],
            "sku": f"{body['account_tier']}_{body['account_replication_type']}",
            "access_tier": body.get("access_tier"),
            "shared_key_access": body.get("shared_access_key_enabled"),
            "public_blob_access": body.get("allow_nested_items_to_be_public"),
            "cross_tenant_replication": body.get("cross_tenant_replication_enabled"),
            "oauth_default": body.get("default_to_oauth_authentication"),
            "local_users": body.get("local_user_enabled"),
            "min_tls": body.get("min_tls_version"),
            "https_only": body.get("https_traffic_only_enabled"),
            "public_network": body.get("public_network_access_enabled"),
            "network_default_action": dig(body, "network_rules.default_action"),
            "network_bypass": ",".join(dig(body, "network_rules.bypass") or []) or None,
            "sas_expiration": dig(body, "sas_policy.expiration_period"),
            "sas_action": dig(body, "sas_policy.expiration_action"),
            "versioning": dig(body, "blob_properties.versioning_enabled"),
            "blob_soft_delete_days": dig(body, "blob_properties.delete_retention_policy.days"),
            "container_soft_delete_days": dig(body, "blob_properties.container_delete_retention_policy.days"),
            "immutability": bool(imm),
            "immutability_state": imm.get("state"),
            "immutability_days": imm.get("period_since_creation_in_days"),
            "immutability_append_writes": imm.get("allow_protected_append_writes"),
        }
    cos = t.value(t.resource("azurerm_cosmosdb_account", "cosmos"))
    caps = dig(cos, "dynamic.capabilities") or {}
    sec["cosmos"] = {
        "kind": cos["kind"],
        "serverless": bool(t.variables["cosmos_serverless"]["default"]) and "EnableServerless" in str(caps.get("for_each", "")),
        "local_auth_disabled": cos["local_authentication_disabled"],
        "key_metadata_writes_disabled": not cos["access_key_metadata_writes_enabled"],
        "min_tls": cos["minimal_tls_version"],
        "public_network": cos["public_network_access_enabled"],
        "consistency": dig(cos, "consistency_policy.consistency_level"),
        "backup": f"{dig(cos, 'backup.type')}/{dig(cos, 'backup.tier')}",
        "zone_redundant": dig(cos, "geo_location.zone_redundant"),
    }
    kv = t.value(t.resource("azurerm_key_vault", "vault"))
    sec["vault"] = {
        "sku": kv["sku_name"],
        "rbac": kv["rbac_authorization_enabled"],
        "purge_protection": kv["purge_protection_enabled"],
        "soft_delete_days": kv["soft_delete_retention_days"],
        "for_deployment": kv["enabled_for_deployment"],
        "for_disk_encryption": kv["enabled_for_disk_encryption"],
        "for_template_deployment": kv["enabled_for_template_deployment"],
        "public_network": kv["public_network_access_enabled"],
        "network_default_action": dig(kv, "network_acls.default_action"),
        "network_bypass": dig(kv, "network_acls.bypass"),
    }
    sec["relay"] = {"sku": t.resource("azurerm_relay_namespace", "relay")["sku_name"]}
    sec["hybrid_connection"] = {
        "requires_client_authorization": t.resource("azurerm_relay_hybrid_connection", "hybrid_connection")["requires_client_authorization"]
    }
    rule = t.resource("azurerm_relay_hybrid_connection_authorization_rule", "agent_listen")
    sec["agent_listen"] = {"rights": sorted(r.capitalize() for r in ("listen", "send", "manage") if rule.get(r))}
    ai = t.resource("azurerm_application_insights", "app_insights")
    sec["app_insights"] = {"type": ai["application_type"], "local_auth_disabled": ai["local_authentication_disabled"]}
    la = t.value(t.resource("azurerm_log_analytics_workspace", "logs"))
    sec["logs"] = {"sku": la["sku"], "retention_days": la["retention_in_days"]}
    plan = t.resource("azurerm_service_plan", "plan")
    sec["plan"] = {"sku": plan["sku_name"], "linux": plan["os_type"] == "Linux"}
    fa_raw = t.resource("azurerm_function_app_flex_consumption", "function_app")
    fa = t.value(fa_raw)
    sec["function_app"] = {
        "identity": dig(fa, "identity.type"),
        "https_only": fa["https_only"],
        "public_network": fa["public_network_access_enabled"],
        "client_cert": fa["client_certificate_enabled"],
        "min_tls": dig(fa, "site_config.minimum_tls_version"),
        "http2": dig(fa, "site_config.http2_enabled"),
        "runtime": f"{fa['runtime_name']}/{fa['runtime_version']}",
        "max_instances": fa["maximum_instance_count"],
        "instance_memory": fa["instance_memory_in_mb"],
        "deployment_storage_auth": fa["storage_authentication_type"],
        "deployment_storage": t.sig(fa_raw["storage_container_endpoint"]),
        "key_vault_reference_identity": t.sig(fa_raw["key_vault_reference_identity_id"]),
        "basic_auth_publishing": fa["webdeploy_publish_basic_authentication_enabled"],
        "vnet_integration": _tf_subnet_name(t, fa_raw.get("virtual_network_subnet_id")),
    }
    s["security"] = sec
    s["locks"] = sorted(
        (name, _tf_ref_name(body["scope"]), body["lock_level"])
        for (rt, name), body in t.resources.items()
        if rt == "azurerm_management_lock"
    )

    settings = dict(t.locals["app_settings"])
    for k, v in TF_ONLY_APP_SETTINGS.items():
        assert settings.get(k) == v, f"expected the documented Terraform-only setting {k}={v!r}"
        del settings[k]
    # azurerm takes the Application Insights connection string in site_config.
    settings["APPLICATIONINSIGHTS_CONNECTION_STRING"] = dig(fa_raw, "site_config.application_insights_connection_string")
    s["app_settings"] = {k: t.sig(v) for k, v in settings.items()}

    ras = []
    for (rt, name), body in t.resources.items():
        if rt != "azurerm_role_assignment":
            continue
        role = body.get("role_definition_name") or "custom:" + _tf_ref_name(body["role_definition_id"])
        ras.append((name, role, _tf_ref_name(body["scope"].split("/")[-1]) if "containers/" in body["scope"] else _tf_ref_name(body["scope"])))
    s["role_assignments"] = sorted(ras)
    s["custom_roles"] = {
        name: {
            "actions": sorted(t.value(dig(body, "permissions.actions"))),
            "data_actions": sorted(t.value(dig(body, "permissions.data_actions"))),
        }
        for (rt, name), body in t.resources.items()
        if rt == "azurerm_role_definition"
    }
    cra = t.resource("azurerm_cosmosdb_sql_role_assignment", "cosmos_data_contributor")
    s["cosmos_role_assignments"] = [
        (t.value("${local.cosmos_data_contributor_role_id}") if "cosmos_data_contributor_role_id" in cra["role_definition_id"] else cra["role_definition_id"], _tf_ref_name(cra["scope"]))
    ]
    diags = []
    for (rt, name), body in t.resources.items():
        if rt != "azurerm_monitor_diagnostic_setting":
            continue
        target = body["target_resource_id"]
        tname = _tf_ref_name(target)
        if target.endswith("/blobServices/default"):
            tname = tname.replace("_storage", "_blob_service")
        elif target.endswith("/queueServices/default"):
            tname = tname.replace("_storage", "_queue_service")
        diags.append((name, tname, dig(body, "enabled_log.category_group")))
    s["diagnostics"] = sorted(diags)

    # What the grant resource iterates over (`toset(local.<list>)`), evaluated.
    for_each = t.resource("azuread_app_role_assignment", "graph_grants")["for_each"]
    m = re.fullmatch(r"\$\{toset\(local\.([a-z0-9_]+)\)\}", for_each)
    assert m, f"graph_grants.for_each must be toset(local.<list>), not {for_each}"
    graph_roles = t.value(t.locals[m.group(1)])
    assert isinstance(graph_roles, list), f"local.{m.group(1)} must evaluate to a list: {graph_roles!r}"
    s["graph"] = {
        "graph": sorted(graph_roles),
        "exchange": sorted(t.locals["exchange_app_roles"]),
        "directoryRoles": sorted(t.locals["directory_roles"]),
    }
    s["signin"] = terraform_signin(t)
    s["network"] = terraform_network(t)
    s["variant"] = variant
    s["secrets"] = dict(sorted(t.locals["secret_settings"].items()))
    s["outputs"] = sorted({OUTPUT_ALIASES.get(o, o) for o in t.outputs})
    s["parameters"] = {PARAM_ALIASES.get(k, k): _tf_param_default(k, v) for k, v in t.variables.items()}
    return s


def _tf_subnet_name(t: TerraformConfig, subnet: Any) -> str | None:
    """The subnet the function app is integrated with, by name (None: no VNet integration)."""
    if subnet is None:
        return None
    m = re.fullmatch(r"\$\{one\(azurerm_subnet\.([a-z0-9_]+)\[\*\]\.id\)\}", subnet)
    assert m, f"virtual_network_subnet_id must be one(azurerm_subnet.<name>[*].id), not {subnet}"
    body = t.resource("azurerm_subnet", m.group(1))
    return body["name"] if tf_instances(t, body) else None


def _tf_param_default(name: str, v: dict) -> Any:
    return v.get("default")


# ---------------------------------------------------------------------------------------------
# offboard's app registration (sign-in and app roles)
# ---------------------------------------------------------------------------------------------


def _as_list(v: Any) -> list:
    """`dig` looks through a list of one block; a repeated block stays a list."""
    return v if isinstance(v, list) else [v]


def bicep_signin(b: BicepFile) -> dict:
    m = load_bicep_module(b, "signin", BICEP_SIGNIN_MODULE)
    types = {r["type"] for r in m.resources.values()}
    assert types == {"Microsoft.Graph/applications", "Microsoft.Graph/servicePrincipals"}, types
    app = m.body("app")
    sp = m.body("servicePrincipal")
    return {
        "app_roles": sorted((r["value"], r["description"]) for r in m.value("appRoles")),
        "sign_in_audience": app["signInAudience"],
        "access_token_version": dig(app, "api.requestedAccessTokenVersion"),
        "id_token_issuance": dig(app, "web.implicitGrantSettings.enableIdTokenIssuance"),
        "access_token_issuance": dig(app, "web.implicitGrantSettings.enableAccessTokenIssuance"),
        "redirect_path": str(m.value("redirectUri")).split("}", 1)[-1],
        "access_token_claims": sorted(c["name"] for c in _as_list(dig(app, "optionalClaims.accessToken"))),
        "assignment_required": sp["appRoleAssignmentRequired"],
    }


def terraform_signin(t: TerraformConfig) -> dict:
    app = t.resources[("azuread_application", "signin")]
    sp = t.resources[("azuread_service_principal", "signin")]
    return {
        "app_roles": sorted((k, v["description"]) for k, v in t.locals["signin_app_roles"].items()),
        "sign_in_audience": app["sign_in_audience"],
        "access_token_version": dig(app, "api.requested_access_token_version"),
        "id_token_issuance": dig(app, "web.implicit_grant.id_token_issuance_enabled"),
        "access_token_issuance": dig(app, "web.implicit_grant.access_token_issuance_enabled"),
        "redirect_path": _as_list(dig(app, "web.redirect_uris"))[0].split("}", 1)[-1],
        "access_token_claims": sorted(c["name"] for c in _as_list(dig(app, "optional_claims.access_token"))),
        "assignment_required": sp["app_role_assignment_required"],
    }
