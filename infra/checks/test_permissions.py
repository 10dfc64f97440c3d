"""The Graph / Exchange application permissions and directory roles granted in infra are
exactly the set the code declares (crates/graph/src/permissions.rs, printed as JSON by
`cargo run -q -p offboard-graph --example permissions`): by default the unconditional set only,
and with a feature switch on (Bicep parameter / Terraform variable, e.g. enableAccountDeletion /
enable_account_deletion) that set plus what the code says the switch adds, no more."""

from __future__ import annotations

import functools

import pytest

from conftest import FIXTURES, summary_of
from contract import PermissionsUnavailable, code_permissions, parse_permissions_json, permission_differences, with_switches
from iac import camel
from variants import VARIANTS

# delete-account's permission: it can change any user, so it is granted only with the switch on.
ACCOUNT_DELETION = "enable_account_deletion"
USER_WRITE = "User.ReadWrite.All"


def test_fixture_declaration_equals_infra(infra):
    kind, s = infra
    declared = parse_permissions_json((FIXTURES / "permissions.json").read_text())
    assert permission_differences(declared, s["graph"]) == [], kind


def test_comparison_reports_both_directions(infra):
    _, s = infra
    declared = {k: list(v) for k, v in s["graph"].items()}
    declared["graph"] = [p for p in declared["graph"] if p != "Mail.Send"] + ["Directory.ReadWrite.All"]
    d = permission_differences(declared, s["graph"])
    assert any("Directory.ReadWrite.All" in x and "does not grant" in x for x in d)
    assert any("Mail.Send" in x and "does not declare" in x for x in d)
    with pytest.raises(ValueError):
        parse_permissions_json('{"graph": []}')
    with pytest.raises(ValueError):
        parse_permissions_json('{"graph": ["A"], "exchange": [], "directoryRoles": [], "onlyWhen": {"s": {"graph": ["A"]}}}')
    with pytest.raises(ValueError):
        with_switches(parse_permissions_json('{"graph": [], "exchange": [], "directoryRoles": []}'), {"no_such"})


@functools.cache
def _declared():
    try:
        return code_permissions(), None
    except PermissionsUnavailable as e:
        return None, str(e)


def test_infra_grants_exactly_what_the_code_declares(infra):
    kind, s = infra
    declared, why = _declared()
    if declared is None:
        pytest.fail(why, pytrace=False)
    print(f"\ncode declares: {declared}")
    d = permission_differences(declared, s["graph"])
    assert not d, f"{kind}:\n" + "\n".join(d)


def _declared_or_fail() -> dict:
    declared, why = _declared()
    if declared is None:
        pytest.fail(why, pytrace=False)
    return declared


def test_the_code_makes_user_write_conditional_on_account_deletion():
    declared = _declared_or_fail()
    assert USER_WRITE not in declared["graph"], declared["graph"]
    assert declared["onlyWhen"].get(ACCOUNT_DELETION, {}).get("graph") == [USER_WRITE], declared["onlyWhen"]
    fixture = parse_permissions_json((FIXTURES / "permissions.json").read_text())
    assert fixture == declared, "infra/checks/fixtures/permissions.json is stale: copy the example's output"


def test_a_default_deployment_grants_no_conditional_permission(infra):
    kind, s = infra
    declared = _declared_or_fail()
    assert USER_WRITE not in s["graph"]["graph"], f"{kind}: {USER_WRITE} is granted by default"
    for switch, extra in declared["onlyWhen"].items():
        for k, names in extra.items():
            granted = set(names) & set(s["graph"][k])
            assert not granted, f"{kind} ({s['variant']}): {sorted(granted)} granted without {switch}"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("kind", ["bicep", "terraform"])
def test_each_switch_grants_exactly_what_the_code_says_it_adds(kind, variant):
    declared = _declared_or_fail()
    assert declared["onlyWhen"], "the code declares no switch: this check would be vacuous"
    for switch in declared["onlyWhen"]:
        s = summary_of(kind, variant, frozenset({switch}))
        d = permission_differences(with_switches(declared, {switch}), s["graph"])
        assert not d, f"{kind} ({variant}) with {switch} on:\n" + "\n".join(d)
    on = summary_of(kind, variant, frozenset({ACCOUNT_DELETION}))
    assert USER_WRITE in on["graph"]["graph"], f"{kind} ({variant}): {USER_WRITE} not granted with {ACCOUNT_DELETION} on"
    # The switch changes the grants and nothing else.
    off = summary_of(kind, variant)
    changed = {k for k in off if k not in ("graph", "parameters") and off[k] != on[k]}
    assert not changed, f"{kind} ({variant}): {ACCOUNT_DELETION} also changes {sorted(changed)}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_bicep_and_terraform_grant_the_same_with_each_switch_on(variant):
    declared = _declared_or_fail()
    for switch in declared["onlyWhen"]:
        on = frozenset({switch})
        assert summary_of("bicep", variant, on)["graph"] == summary_of("terraform", variant, on)["graph"], switch


def test_every_switch_is_a_parameter_off_by_default(bicep_summary, terraform_summary, bicep, terraform):
    declared = _declared_or_fail()
    for switch in declared["onlyWhen"]:
        assert camel(switch) in bicep.params, f"main.bicep: no parameter {camel(switch)}"
        assert switch in terraform.variables, f"infra/terraform: no variable {switch}"
        assert bicep_summary["parameters"].get(switch) is False, (switch, bicep_summary["parameters"].get(switch))
        assert terraform_summary["parameters"].get(switch) is False, (switch, terraform_summary["parameters"].get(switch))
        assert terraform.variables[switch].get("type") in ("bool", "${bool}"), terraform.variables[switch]
