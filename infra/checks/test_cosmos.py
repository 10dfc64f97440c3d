"""The Cosmos database has the containers, with the partition keys, that the Cosmos adapter
(crates/azure/src/cosmos/mod.rs) declares — the infrastructure creates them, the app's
identity has data-plane rights only and cannot."""

from __future__ import annotations

import pytest

from contract import COSMOS_MOD, code_cosmos_containers


def test_cosmos_containers_match_the_adapter(infra):
    kind, s = infra
    declared = code_cosmos_containers()
    if declared is None:
        pytest.skip(f"{COSMOS_MOD} does not exist yet: container comparison cannot run")
    assert declared, "no containers found in the adapter"
    assert s["cosmos_containers"] == declared, f"{kind}: infra {s['cosmos_containers']} != code {declared}"
    assert s["cosmos_database"] == "offboard"


def test_cosmos_contract_reader_rejects_inconsistent_code(tmp_path):
    f = tmp_path / "mod.rs"
    f.write_text('/// partitioned by `/id` (default `a`).\nimpl Default for ContainerNames {\n    fn default() -> Self { Self { a: "a".into(), b: "b".into() } }\n}\n')
    with pytest.raises(ValueError):
        code_cosmos_containers(f)
