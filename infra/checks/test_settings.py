"""App settings: every OFFBOARD_* setting the code reads (the single list in
crates/service/src/settings/names.rs) is set in both template sets, and every secret is a Key Vault
reference."""

from __future__ import annotations


import pytest

from conftest import FIXTURES
from contract import SETTINGS_RS, secret_setting_problems, settings_the_code_reads
from iac import keyvault_secret_name

# Settings the code reads that a deployment to Azure must NOT set, and why.
NOT_SET_IN_AZURE = {
    "OFFBOARD_EMBEDDED_PATH": "only for OFFBOARD_BACKEND=embedded (SQLite + local files); Azure runs the azure backend",
}


def offboard_settings(s):
    return {k for k in s["app_settings"] if k.startswith("OFFBOARD_")}


def compare(code: set[str], ours: set[str]) -> tuple[list[str], list[str]]:
    missing = sorted(code - ours - NOT_SET_IN_AZURE.keys())
    wrongly_set = sorted(ours & NOT_SET_IN_AZURE.keys())
    extra = sorted(ours - code)
    return missing + [f"{k} (must not be set: {NOT_SET_IN_AZURE[k]})" for k in wrongly_set], extra


def test_fixture_settings_list_matches_infra(infra):
    kind, s = infra
    missing, extra = compare(settings_the_code_reads(FIXTURES / "settings.rs"), offboard_settings(s))
    assert missing == [] and extra == [], kind


def test_comparison_reports_a_missing_setting():
    missing, extra = compare({"OFFBOARD_A", "OFFBOARD_EMBEDDED_PATH"}, {"OFFBOARD_B"})
    assert missing == ["OFFBOARD_A"] and extra == ["OFFBOARD_B"]


def test_every_setting_the_code_reads_is_set(infra):
    kind, s = infra
    code = settings_the_code_reads(SETTINGS_RS)
    if code is None:
        pytest.skip(f"{SETTINGS_RS} does not exist yet: the code/infra settings comparison cannot run")
    missing, extra = compare(code, offboard_settings(s))
    print(f"\n{kind}: the code reads {sorted(code)}")
    assert not missing, f"{kind}: settings the code reads but the deployment does not set: {missing}"
    # A setting nothing reads misleads operators (a secret they create for nothing, a knob
    # that does nothing), so the templates set exactly what the code reads.
    assert not extra, f"{kind}: settings the deployment sets but the code never reads: {extra}"


def test_secrets_are_key_vault_references(infra):
    kind, s = infra
    # Signatures keep literal text, so a Key Vault reference is still recognisable.
    flat = {k: v.replace("<ref:vault:vault_uri>", "https://vault.example/") for k, v in s["app_settings"].items()}
    problems = secret_setting_problems(flat, s["secrets"])
    assert not problems, f"{kind}:\n" + "\n".join(problems)
    code = settings_the_code_reads(SETTINGS_RS) or set()
    secrets = {k for k in s["app_settings"] if k.endswith(("_SECRET", "_TOKEN", "_KEY"))}
    assert secrets >= {k for k in code if k.endswith(("_SECRET", "_TOKEN", "_KEY"))}


def test_secret_check_rejects_a_plain_secret():
    problems = secret_setting_problems({"OFFBOARD_X_SECRET": "hunter2"}, {})
    assert problems and "not a @Microsoft.KeyVault" in problems[0]
    assert keyvault_secret_name("@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/a-b/)") == "a-b"
