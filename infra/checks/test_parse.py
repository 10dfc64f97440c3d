"""Both template sets parse, and contain what the deployment needs — with nothing secret."""

from __future__ import annotations

import re

from iac import BICEP_DIR, BICEP_ENDPOINT_MODULE, BICEP_GRAPH_MODULE, BICEP_NETWORK_MODULE, TF_DIR, load_bicep


def test_bicep_files_parse_with_pycep(bicep):
    assert {"identity", "hostStorage", "evidenceStorage", "cosmos", "relay", "vault", "functionApp"} <= set(bicep.resources)
    graph = load_bicep(BICEP_GRAPH_MODULE)
    assert "microsoftGraphV1" in graph.doc.get("extensions", {}), "the Graph module must use the Microsoft Graph Bicep extension"
    assert {r["type"] for r in graph.resources.values()} == {"Microsoft.Graph/servicePrincipals", "Microsoft.Graph/appRoleAssignedTo"}


def test_network_modules_parse_with_pycep():
    network = load_bicep(BICEP_NETWORK_MODULE)
    assert {r["type"] for r in network.resources.values()} == {
        "Microsoft.Network/networkSecurityGroups", "Microsoft.Network/publicIPAddresses", "Microsoft.Network/natGateways",
        "Microsoft.Network/virtualNetworks", "Microsoft.Network/privateDnsZones", "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
    }
    endpoint = load_bicep(BICEP_ENDPOINT_MODULE)
    assert {r["type"] for r in endpoint.resources.values()} == {
        "Microsoft.Network/privateEndpoints", "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
    }
    main = load_bicep()
    assert {m["detail"]["path"] for m in main.modules.values()} == {
        "modules/graph-grants.bicep", "modules/network.bicep", "modules/private-endpoint.bicep", "modules/signin.bicep",
    }


def test_terraform_files_parse_with_python_hcl2(terraform):
    assert set(terraform.files) >= {"main.tf", "graph.tf", "network.tf", "variables.tf", "outputs.tf", "versions.tf"}
    types = {rt for rt, _ in terraform.resources}
    assert {"azurerm_function_app_flex_consumption", "azurerm_storage_account", "azuread_app_role_assignment", "azuread_directory_role_assignment"} <= types


def test_graph_app_role_ids_are_resolved_by_name_not_hard_coded():
    bicep_text = BICEP_GRAPH_MODULE.read_text()
    assert "filter(graphSp.appRoles, r => r.value == role)[0].id" in bicep_text
    tf_text = (TF_DIR / "graph.tf").read_text()
    assert "data.azuread_service_principal.graph.app_role_ids[each.value]" in tf_text
    guid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
    # The only GUIDs allowed are the two well-known first-party application ids.
    allowed = {"00000003-0000-0000-c000-000000000000", "00000002-0000-0ff1-ce00-000000000000"}
    for text in (bicep_text, tf_text):
        assert set(g.lower() for g in guid.findall(text)) <= allowed


SECRET_PATTERNS = [
    r"listKeys\(", r"listConnectionStrings\(", r"listCredentials\(", r"AccountKey=", r"SharedAccessKey=",
    r"SharedAccessSignature", r"primary_access_key", r"secondary_access_key", r"primary_connection_string",
    r"primary_key\b", r"primary_sql_connection_string", r"client_secret", r"\bpassword\s*[:=]",
]


def test_no_secret_material_in_either_template_set():
    files = list(BICEP_DIR.rglob("*.bicep")) + list(TF_DIR.glob("*.tf"))
    assert len(files) >= 6
    hits = []
    for f in files:
        for i, line in enumerate(f.read_text().splitlines(), 1):
            code = line.split("//")[0] if f.suffix == ".bicep" else line.split("#")[0]
            for p in SECRET_PATTERNS:
                if re.search(p, code):
                    hits.append(f"{f.name}:{i}: {line.strip()}")
    assert not hits, "secret material or key listing in templates:\n" + "\n".join(hits)


def test_outputs_expose_what_a_deployer_needs_and_nothing_secret(bicep_summary, terraform):
    needed = {"function_app_name", "function_app_host_name", "identity_client_id", "identity_principal_id", "relay_namespace",
              "hybrid_connection_name", "key_vault_uri", "storage_queue_endpoint", "evidence_blob_endpoint", "cosmos_endpoint"}
    assert needed <= set(bicep_summary["outputs"])
    for name, out in terraform.outputs.items():
        assert not out.get("sensitive"), f"output {name} is marked sensitive: outputs must not carry secrets"
    b = load_bicep()
    for name, out in b.outputs.items():
        assert not any(d.get("type") == "secure" for d in out.get("decorators", [])), name
