"""offboard's app registration declares exactly the app roles the code checks.

The roles' values live once in the code (``Role::value`` in crates/signin/src/principal.rs); both
template sets must declare the same values (parity compares the two sets in full), the
registration must ask for v2.0 access tokens (the handler refuses v1.0 ones) and must require an
assignment, so nobody without a role gets a token for offboard at all.
"""

from __future__ import annotations

import re

import pytest

from contract import REPO_ROOT
from summary import bicep_summary, terraform_summary
from variants import VARIANTS

PRINCIPAL_RS = REPO_ROOT / "crates" / "signin" / "src" / "principal.rs"


def roles_the_code_checks() -> set[str]:
    text = PRINCIPAL_RS.read_text()
    body = text[text.index("pub const fn value") : text.index("pub fn from_value")]
    return set(re.findall(r'=> "([A-Za-z.]+)"', body))


def test_the_code_names_its_roles():
    assert roles_the_code_checks() == {"Offboard.Auditor", "Offboard.Operator"}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("summarise", [bicep_summary, terraform_summary], ids=["bicep", "terraform"])
def test_the_registration_declares_the_roles_the_code_checks(summarise, variant):
    s = summarise(variant)["signin"]
    assert {value for value, _ in s["app_roles"]} == roles_the_code_checks()
    assert s["access_token_version"] == 2, "the handler accepts only v2.0 tokens"
    assert s["assignment_required"] is True, "people without a role must not get a token at all"
    assert s["id_token_issuance"] is True and s["access_token_issuance"] is False
    assert s["redirect_path"] == ".azurewebsites.net/api/signin/callback", "the default host name (WEBSITE_HOSTNAME)"
    assert s["sign_in_audience"] == "AzureADMyOrg"
