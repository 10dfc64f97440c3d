"""Bicep and Terraform deploy the same system with the same settings.

Both sets are reduced to a normalised summary (summary.py): resources by logical name and kind,
queues, Cosmos containers and partition keys, blob containers, security settings of every
resource, app settings (as reference signatures), role assignments and their scopes, the custom
role's data actions, Cosmos data-plane role assignments, diagnostic settings, Graph / Exchange /
directory-role grants, Key Vault secret names, outputs, parameter defaults, and the network of
the network-hardened variant (network_summary.py). Both variants are compared: the public one
(the default) and the network-hardened one (the switch on, variants.py). Any difference fails,
with the differing key and both values.
"""

from __future__ import annotations

import pytest

from conftest import summary_of
from variants import VARIANTS

# Parameter defaults that differ on purpose, and why.
PARAMETER_EXCEPTIONS = {
    "location": "Bicep defaults to resourceGroup().location; Terraform's empty default means the same (local.location).",
    "suffix": "Bicep derives a unique default with uniqueString(); Terraform has no such function, so the deployer supplies it.",
    "evidence_immutability_state": "Bicep redeploys must say Locked once the policy is locked (deploy-bicep.sh reads it first); Terraform ignores the state after creation (lifecycle.ignore_changes) and locks it in the same apply (terraform_data.evidence_retention_lock).",
    "resource_group_name": "Terraform needs the resource group's name; a Bicep deployment is scoped to it by the CLI.",
}

KEYS = [
    "resources", "queues", "cosmos_database", "cosmos_containers", "blob_containers", "container_public_access",
    "security", "locks", "app_settings", "role_assignments", "custom_roles", "cosmos_role_assignments", "diagnostics",
    "graph", "secrets", "outputs", "network", "signin",
]
# Keys that are empty on purpose in a variant: the public variant deploys no network.
EMPTY_IN = {"public": {"network"}, "private": set()}


def diff(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{path}.{k}: only in Terraform ({b[k]!r})")
            elif k not in b:
                out.append(f"{path}.{k}: only in Bicep ({a[k]!r})")
            else:
                out.extend(diff(a[k], b[k], f"{path}.{k}"))
        return out
    if a != b:
        if isinstance(a, list) and isinstance(b, list):
            sa, sb = {repr(x) for x in a}, {repr(x) for x in b}
            return [f"{path}: only in Bicep {sorted(sa - sb)}, only in Terraform {sorted(sb - sa)}"]
        return [f"{path}: Bicep {a!r} != Terraform {b!r}"]
    return []


@pytest.mark.parametrize("variant", VARIANTS)
def test_summaries_have_the_same_shape(variant):
    a, b = summary_of("bicep", variant), summary_of("terraform", variant)
    assert set(a) == set(b) == set(KEYS) | {"parameters", "variant"}
    assert a["variant"] == b["variant"] == variant


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("key", KEYS)
def test_same_in_bicep_and_terraform(key, variant):
    a, b = summary_of("bicep", variant)[key], summary_of("terraform", variant)[key]
    if key in EMPTY_IN[variant]:
        assert a == b == {}, f"{key} must be empty in the {variant} variant"
        return
    assert a, f"{key} is empty in the Bicep summary of the {variant} variant: the summary extraction is broken"
    differences = diff(a, b, key)
    assert not differences, f"Bicep and Terraform differ ({variant} variant):\n" + "\n".join(differences)


def test_the_variants_differ_only_where_the_switch_says():
    """The switch changes public network access, the network defaults, the app's VNet
    integration and the network; nothing else (same resources, settings, roles, outputs)."""
    for kind in ("bicep", "terraform"):
        pub, priv = summary_of(kind, "public"), summary_of(kind, "private")
        changed = {k for k in KEYS if pub[k] != priv[k]}
        assert changed == {"security", "network"}, (kind, changed)
        sec = {
            (res, field)
            for res in pub["security"]
            for field in pub["security"][res]
            if pub["security"][res][field] != priv["security"][res][field]
        }
        assert sec == {
            ("host_storage", "public_network"), ("host_storage", "network_default_action"),
            ("evidence_storage", "public_network"), ("evidence_storage", "network_default_action"),
            ("cosmos", "public_network"),
            ("vault", "public_network"), ("vault", "network_default_action"),
            ("function_app", "public_network"), ("function_app", "vnet_integration"),
        }, (kind, sorted(sec))


def test_parameter_defaults_match_except_documented_ones(bicep_summary, terraform_summary):
    a = {k: v for k, v in bicep_summary["parameters"].items() if k not in PARAMETER_EXCEPTIONS}
    b = {k: v for k, v in terraform_summary["parameters"].items() if k not in PARAMETER_EXCEPTIONS}
    differences = diff(a, b, "parameters")
    assert not differences, "\n".join(differences)
    for k in PARAMETER_EXCEPTIONS:
        assert k in bicep_summary["parameters"] or k in terraform_summary["parameters"], f"stale exception {k}"


def test_the_parity_check_catches_a_difference(bicep_summary, terraform_summary):
    """The comparison itself is not vacuous: a single changed setting is reported."""
    import copy

    changed = copy.deepcopy(terraform_summary)
    changed["security"]["evidence_storage"]["immutability_days"] = 30
    changed["role_assignments"] = changed["role_assignments"][:-1]
    d = diff(bicep_summary["security"], changed["security"], "security") + diff(
        bicep_summary["role_assignments"], changed["role_assignments"], "role_assignments"
    )
    assert any("immutability_days" in x for x in d) and any("role_assignments" in x for x in d)
    private = copy.deepcopy(summary_of("terraform", "private")["network"])
    private["endpoints"] = private["endpoints"][1:]
    private["subnets"]["snet-app"]["nat"] = False
    d = diff(summary_of("bicep", "private")["network"], private, "network")
    assert any("endpoints" in x for x in d) and any("snet-app.nat" in x for x in d), d
