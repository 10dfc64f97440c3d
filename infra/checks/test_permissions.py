"""The Graph / Exchange application permissions and directory roles granted in infra are
exactly the set the code declares (crates/graph/src/permissions.rs, printed as JSON by
`cargo run -q -p offboard-graph --example permissions`)."""

from __future__ import annotations

import functools

import pytest

from conftest import FIXTURES
from contract import PermissionsUnavailable, code_permissions, parse_permissions_json, permission_differences


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
