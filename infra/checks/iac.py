"""Loads both template sets and reduces each to the same normalised summary.

The summary is what a security reviewer compares: which resources exist (by logical name: the
Bicep symbolic name in snake_case == the Terraform resource name), their security settings,
the queues and Cosmos containers, role assignments and their scopes, the custom role's data
actions, diagnostic settings, app settings (as value *signatures*: literal text with every
reference replaced by what it refers to), the Graph / Exchange / directory-role grants, and
the outputs. ``test_parity.py`` compares the two summaries key by key.

Bicep is parsed with pycep-parser, Terraform with python-hcl2; neither CLI is needed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions
from pycep import BicepParser

from variants import BICEP_SWITCH, TF_SWITCH, is_private

CHECKS_DIR = Path(__file__).resolve().parent
INFRA_DIR = CHECKS_DIR.parent
REPO_ROOT = INFRA_DIR.parent
BICEP_DIR = INFRA_DIR / "bicep"
BICEP_MAIN = BICEP_DIR / "main.bicep"
BICEP_GRAPH_MODULE = BICEP_DIR / "modules" / "graph-grants.bicep"
BICEP_NETWORK_MODULE = BICEP_DIR / "modules" / "network.bicep"
BICEP_SIGNIN_MODULE = BICEP_DIR / "modules" / "signin.bicep"
BICEP_ENDPOINT_MODULE = BICEP_DIR / "modules" / "private-endpoint.bicep"
TF_DIR = INFRA_DIR / "terraform"

# Built-in Azure role definition ids used by the Bicep template (Terraform names the roles).
BUILTIN_ROLES = {
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "26baccc8-eea7-41f1-98f4-1762cc7f685d": "Azure Relay Sender",
    "26e0b698-aa6d-4085-9386-aadae190014d": "Azure Relay Listener",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
}

# Canonical kinds. Bicep-only implicit children (blob/queue services, publishing policies) and
# Terraform data sources have no counterpart resource and are compared as settings instead.
BICEP_KINDS = {
    "Microsoft.ManagedIdentity/userAssignedIdentities": "identity",
    "Microsoft.OperationalInsights/workspaces": "log_analytics",
    "Microsoft.Insights/components": "app_insights",
    "Microsoft.Storage/storageAccounts": "storage_account",
    "Microsoft.Storage/storageAccounts/blobServices/containers": "blob_container",
    "Microsoft.Storage/storageAccounts/queueServices/queues": "queue",
    "Microsoft.DocumentDB/databaseAccounts": "cosmos_account",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases": "cosmos_database",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers": "cosmos_container",
    "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments": "cosmos_role_assignment",
    "Microsoft.Relay/namespaces": "relay_namespace",
    "Microsoft.Relay/namespaces/hybridConnections": "relay_hybrid_connection",
    "Microsoft.Relay/namespaces/hybridConnections/authorizationRules": "relay_hc_rule",
    "Microsoft.KeyVault/vaults": "key_vault",
    "Microsoft.Web/serverfarms": "plan",
    "Microsoft.Web/sites": "function_app",
    "Microsoft.Authorization/roleAssignments": "role_assignment",
    "Microsoft.Authorization/roleDefinitions": "role_definition",
    "Microsoft.Insights/diagnosticSettings": "diagnostic_setting",
    "Microsoft.Authorization/locks": "lock",
}
BICEP_IMPLICIT = {
    "Microsoft.Storage/storageAccounts/blobServices",
    "Microsoft.Storage/storageAccounts/queueServices",
    "Microsoft.Web/sites/basicPublishingCredentialsPolicies",
}
TF_KINDS = {
    "azurerm_user_assigned_identity": "identity",
    "azurerm_log_analytics_workspace": "log_analytics",
    "azurerm_application_insights": "app_insights",
    "azurerm_storage_account": "storage_account",
    "azurerm_storage_container": "blob_container",
    "azurerm_storage_queue": "queue",
    "azurerm_cosmosdb_account": "cosmos_account",
    "azurerm_cosmosdb_sql_database": "cosmos_database",
    "azurerm_cosmosdb_sql_container": "cosmos_container",
    "azurerm_cosmosdb_sql_role_assignment": "cosmos_role_assignment",
    "azurerm_relay_namespace": "relay_namespace",
    "azurerm_relay_hybrid_connection": "relay_hybrid_connection",
    "azurerm_relay_hybrid_connection_authorization_rule": "relay_hc_rule",
    "azurerm_key_vault": "key_vault",
    "azurerm_service_plan": "plan",
    "azurerm_function_app_flex_consumption": "function_app",
    "azurerm_role_assignment": "role_assignment",
    "azurerm_role_definition": "role_definition",
    "azurerm_monitor_diagnostic_setting": "diagnostic_setting",
    "azurerm_management_lock": "lock",
}
# Graph-side resources live in modules/graph-grants.bicep (Bicep) and graph.tf (Terraform);
# they are compared as the `graph` part of the summary.
# offboard's app registration (signin.tf / modules/signin.bicep) is compared as the `signin` part.
TF_GRAPH_KINDS = {
    "azuread_app_role_assignment", "azuread_directory_role", "azuread_directory_role_assignment",
    "azuread_application", "azuread_service_principal",
}
# The network-hardened variant's resources live in modules/network.bicep (+ the app's endpoint
# module in main.bicep) and network.tf; they are compared as the `network` part of the summary.
TF_NETWORK_KINDS = {
    "azurerm_virtual_network", "azurerm_subnet", "azurerm_network_security_group",
    "azurerm_subnet_network_security_group_association", "azurerm_public_ip", "azurerm_nat_gateway",
    "azurerm_nat_gateway_public_ip_association", "azurerm_subnet_nat_gateway_association",
    "azurerm_private_dns_zone", "azurerm_private_dns_zone_virtual_network_link", "azurerm_private_endpoint",
}

# Known, intended differences between the two sets. Each one is explained where it is used.
TF_ONLY_KINDS = {
    # Terraform locks the evidence retention inside `terraform apply`; the Bicep deployment runs
    # the same script (infra/scripts/lock-evidence-retention.sh) from infra/scripts/deploy-bicep.sh,
    # since ARM creates the policy Unlocked only. test_evidence_protection.py checks both.
    "terraform_data": "the evidence retention lock step",
}
TF_ONLY_APP_SETTINGS = {
    # azurerm writes a key-based AzureWebJobsStorage string for Flex apps; the explicit empty value
    # overrides it (see infra/terraform/main.tf). Bicep never writes the setting at all.
    "AzureWebJobsStorage": "",
}
OUTPUT_ALIASES = {
    # Bicep outputs the list for infra/scripts/assign-directory-roles.sh; Terraform assigns it.
    "directory_roles_to_assign": "directory_roles",
    "directory_roles_assigned": "directory_roles",
}
PARAM_ALIASES = {
    # Bicep takes the full SKU name, the azurerm provider takes tier and replication apart.
    "evidence_storage_sku": "evidence_replication",
    "evidence_replication_type": "evidence_replication",
}


def snake(name: str) -> str:
    """camelCase / PascalCase -> snake_case (``hostStorage`` -> ``host_storage``)."""
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return s.lower()


HINTS = {
    "primary_queue_endpoint": "queue",
    "queue": "queue",
    "primary_blob_endpoint": "blob",
    "blob": "blob",
    "document_endpoint": "endpoint",
    "endpoint": "endpoint",
    "connection_string": "connection_string",
    "vault_uri": "vault_uri",
    "client_id": "client_id",
    "principal_id": "principal_id",
    "name": "name",
    "id": "id",
    "default_host_name": "host_name",
    "default_hostname": "host_name",
    "role_definition_resource_id": "id",
    "object_id": "id",
    "template_id": "id",
}


def hint(attr: str) -> str:
    a = snake(attr)
    return HINTS.get(a, a)


# ---------------------------------------------------------------------------------------------
# Bicep
# ---------------------------------------------------------------------------------------------


@dataclass
class BicepFile:
    path: Path
    doc: dict
    # Parameter values that replace the defaults: the variant switch, or a module's inputs.
    overrides: dict = field(default_factory=dict)

    @property
    def params(self) -> dict:
        return self.doc.get("parameters", {}) or {}

    @property
    def variables(self) -> dict:
        return self.doc.get("variables", {}) or {}

    @property
    def resources(self) -> dict:
        return self.doc.get("resources", {}) or {}

    @property
    def modules(self) -> dict:
        return self.doc.get("modules", {}) or {}

    @property
    def outputs(self) -> dict:
        return self.doc.get("outputs", {}) or {}

    def body(self, symbol: str) -> dict:
        """The resource's properties, looking through a `for` loop."""
        cfg = self.resources[symbol]["config"]
        if "loop_type" not in cfg and "condition" in cfg and "config" in cfg:
            cfg = cfg["config"]
        if "loop_type" in cfg:
            cfg = cfg["config"]
        return cfg

    def loop_array(self, symbol: str) -> Any:
        cfg = self.resources[symbol]["config"]
        if "loop_type" not in cfg and "condition" in cfg and "config" in cfg:
            cfg = cfg["config"]
        if "loop_type" not in cfg:
            return None
        return self.value(cfg["loop_type"]["detail"]["array_name"])

    # -- evaluation of the literal-ish part of the language ----------------------------------

    def value(self, v: Any) -> Any:
        """Evaluates parameters (to their overrides or defaults), variables, and conditionals and
        negations whose condition evaluates to a bool; leaves other expressions as nodes."""
        if isinstance(v, str):
            if v in self.overrides:
                return self.overrides[v]
            if v in self.params:
                return self.value(self.params[v].get("default"))
            if v in self.variables:
                return self.value(self.variables[v]["value"])
            return v
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, dict) and not ({"operator", "function"} & v.keys()):
            return {k: self.value(x) for k, x in v.items()}
        if isinstance(v, dict) and "operator" in v:
            op = v["operator"]
            ops = op.get("operands", {})
            if op["type"] == "conditional":
                cond = self.value(ops.get("condition"))
                if isinstance(cond, bool):
                    return self.value(ops.get("true_value" if cond else "false_value"))
            if op["type"] == "not":
                cond = self.value(ops.get("bool_value"))
                if isinstance(cond, bool):
                    return not cond
        if isinstance(v, dict) and "function" in v and v["function"].get("type") == "concat":
            args = [self.value(x) for x in (v["function"].get("parameters") or {}).values()]
            if args and all(isinstance(a, list) for a in args):
                return [x for a in args for x in a]
        return v

    def expr_text(self, node: Any) -> str:
        """Renders a pycep expression node back to (simplified) Bicep text."""
        if isinstance(node, str):
            return node
        if isinstance(node, (bool, int)):
            return str(node).lower() if isinstance(node, bool) else str(node)
        if isinstance(node, dict) and "operator" in node:
            op = node["operator"]
            ops = op.get("operands", {})
            if op["type"] in ("property_accessor", "nested_resource_accessor"):
                sep = "." if op["type"] == "property_accessor" else "::"
                return f"{self.expr_text(ops['operand_1'])}{sep}{self.expr_text(ops['operand_2'])}"
            if op["type"] == "index_accessor":
                return f"{self.expr_text(ops['operand_1'])}[{self.expr_text(ops['operand_2'])}]"
            if op["type"] == "conditional":
                return (
                    f"{self.expr_text(ops.get('condition'))} ? {self.expr_text(ops.get('true_value'))}"
                    f" : {self.expr_text(ops.get('false_value'))}"
                )
            return f"<{op['type']}:" + ",".join(self.expr_text(x) for x in ops.values()) + ">"
        if isinstance(node, dict) and "function" in node:
            fn = node["function"]
            params = fn.get("parameters") or {}
            args = ",".join(self.expr_text(x) for x in params.values())
            return f"{fn['type']}({args})"
        if isinstance(node, list):
            return "[" + ",".join(self.expr_text(x) for x in node) + "]"
        if isinstance(node, dict):
            return "{" + ",".join(f"{k}:{self.expr_text(x)}" for k, x in node.items()) + "}"
        return str(node)

    def sig_expr(self, text: str) -> str:
        """Signature of a reference expression given as text (`hostStorage.properties.x`)."""
        text = text.strip()
        m = re.fullmatch(r"(?:string|toLower|toUpper)\((.*)\)", text)
        if m:
            return self.sig_expr(m.group(1))
        if text.startswith("tenant()"):
            return "tenant"
        head = re.split(r"[.:\[]", text, maxsplit=1)[0]
        if head in self.params:
            return f"param:{snake(head)}"
        if head in self.variables:
            return self.sig(self.variables[head]["value"])
        if head in self.resources:
            last = re.split(r"[.:]+", text)[-1]
            return f"ref:{snake(head)}:{hint(last)}"
        if head in self.modules and ".outputs." in text:
            # A module's output stands for the resource it wraps (Terraform names it directly).
            last = re.split(r"[.:]+", text)[-1]
            return f"ref:{snake(head)}:{hint(last)}"
        return f"expr:{text}"

    def sig(self, v: Any) -> str:
        """Signature of a value: literal text, every reference replaced by <what it refers to>."""
        if isinstance(v, bool):
            return str(v).lower()
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            if v in self.params or v in self.variables or v in self.resources:
                return f"<{self.sig_expr(v)}>" if v not in self.variables else self.sig(self.variables[v]["value"])
            return re.sub(r"\$\{([^}]*)\}", lambda m: f"<{self.sig_expr(m.group(1))}>", v)
        return f"<{self.sig_expr(self.expr_text(v))}>"


@functools.cache
def _parse_bicep(path: Path) -> dict:
    return BicepParser().parse(file_path=path)


def camel(name: str) -> str:
    """snake_case -> camelCase (``enable_account_deletion`` -> ``enableAccountDeletion``): a
    Terraform variable's Bicep parameter."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@functools.cache
def load_bicep(path: Path = BICEP_MAIN, variant: str = "public", switches: frozenset[str] = frozenset()) -> BicepFile:
    """A Bicep file; main.bicep with the variant switch set (variants.py) and each feature switch
    in `switches` (Terraform variable names, e.g. ``enable_account_deletion``; the Bicep
    parameter is its camelCase form) turned on."""
    if path != BICEP_MAIN:
        assert not switches, "feature switches are parameters of main.bicep"
        return BicepFile(path, _parse_bicep(path), {})
    doc = _parse_bicep(path)
    overrides: dict[str, Any] = {BICEP_SWITCH: is_private(variant)}
    for name in switches:
        param = camel(name)
        assert param in (doc.get("parameters") or {}), f"main.bicep has no parameter {param} (switch {name})"
        overrides[param] = True
    return BicepFile(path, doc, overrides)


def load_bicep_module(caller: BicepFile, module: str, path: Path) -> BicepFile:
    """A module file with its parameters set to what `caller` passes (evaluated in the caller:
    a reference to one of the caller's resources stays an expression node)."""
    params = caller.modules[module]["config"]
    params = (params["config"] if "condition" in params else params)["params"]
    return BicepFile(path, _parse_bicep(path), {k: caller.value(v) for k, v in params.items()})


# ---------------------------------------------------------------------------------------------
# Terraform
# ---------------------------------------------------------------------------------------------

_OPTS = SerializationOptions(strip_string_quotes=True, with_comments=False)


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items() if k != "__is_block__"}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


@dataclass
class TerraformConfig:
    files: dict[str, dict]
    # Variable values that replace the defaults (the variant switch).
    overrides: dict = field(default_factory=dict)

    def _blocks(self, kind: str) -> list:
        out = []
        for doc in self.files.values():
            out.extend(doc.get(kind, []) or [])
        return out

    @functools.cached_property
    def resources(self) -> dict[tuple[str, str], dict]:
        res = {}
        for block in self._blocks("resource"):
            for rtype, named in block.items():
                for name, body in named.items():
                    res[(rtype, name)] = body
        return res

    @functools.cached_property
    def data(self) -> dict[tuple[str, str], dict]:
        res = {}
        for block in self._blocks("data"):
            for rtype, named in block.items():
                for name, body in named.items():
                    res[(rtype, name)] = body
        return res

    @functools.cached_property
    def variables(self) -> dict[str, dict]:
        return {k: v for block in self._blocks("variable") for k, v in block.items()}

    @functools.cached_property
    def locals(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for block in self._blocks("locals"):
            out.update(block)
        return out

    @functools.cached_property
    def outputs(self) -> dict[str, dict]:
        return {k: v for block in self._blocks("output") for k, v in block.items()}

    def resource(self, rtype: str, name: str) -> dict:
        return self.resources[(rtype, name)]

    def by_name(self, name: str) -> tuple[str, dict]:
        for (rtype, n), body in self.resources.items():
            if n == name:
                return rtype, body
        raise KeyError(name)

    def value(self, v: Any) -> Any:
        """Evaluates `var.x` (to its override or default), `local.x`, and `var.x ? a : b` with
        literal or `local.`/`var.` branches; leaves other expressions as text."""
        if isinstance(v, str):
            m = re.fullmatch(r"\$\{(var|local)\.([A-Za-z0-9_]+)\}", v)
            if m:
                kind, name = m.groups()
                if kind == "var":
                    if name in self.overrides:
                        return self.overrides[name]
                    return self.value(self.variables[name].get("default"))
                return self.value(self.locals[name])
            m = re.fullmatch(r"\$\{(var\.[A-Za-z0-9_]+) \? (.+) : (.+)\}", v)
            if m:
                cond = self.value("${" + m.group(1) + "}")
                if isinstance(cond, bool):
                    return self.value(_tf_literal(m.group(2) if cond else m.group(3)))
            m = re.fullmatch(r"\$\{concat\((.*)\)\}", v)
            if m:
                args = [self.value(_tf_literal(a)) for a in _top_level_args(m.group(1))]
                if args and all(isinstance(a, list) for a in args):
                    return [x for a in args for x in a]
            return v
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, dict):
            return {k: self.value(x) for k, x in v.items()}
        return v

    def sig_expr(self, text: str) -> str:
        text = text.strip()
        m = re.fullmatch(r"(?:tostring|lower|upper)\((.*)\)", text)
        if m:
            return self.sig_expr(m.group(1))
        if text == "data.azurerm_client_config.current.tenant_id":
            return "tenant"
        m = re.fullmatch(r"var\.([A-Za-z0-9_]+)", text)
        if m:
            return f"param:{m.group(1)}"
        m = re.fullmatch(r"local\.([A-Za-z0-9_]+)", text)
        if m:
            return self.sig(self.locals[m.group(1)])
        m = re.fullmatch(r"(azurerm|azuread)_[a-z0-9_]+\.([a-z0-9_]+)(?:\[[^\]]*\])?\.([a-z0-9_.]+)", text)
        if m:
            return f"ref:{m.group(2)}:{hint(m.group(3).split('.')[-1])}"
        return f"expr:{text}"

    def sig(self, v: Any) -> str:
        if isinstance(v, bool):
            return str(v).lower()
        if isinstance(v, (int, float)):
            return str(int(v)) if float(v).is_integer() else str(v)
        if isinstance(v, str):
            m = re.fullmatch(r"\$\{([^{}]*)\}", v)
            if m and not m.group(1).startswith(("var.", "local.")):
                return f"<{self.sig_expr(m.group(1))}>"
            if m and m.group(1).startswith("local."):
                return self.sig_expr(m.group(1))
            return re.sub(r"\$\{([^{}]*)\}", lambda mm: f"<{self.sig_expr(mm.group(1))}>", v)
        return repr(v)


def _top_level_args(text: str) -> list[str]:
    """The comma-separated arguments of a call, split at depth 0 (not inside (), [], {} or "")."""
    args, depth, cur, quoted = [], 0, "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "([{":
            depth += 1
        elif not quoted and ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            args.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        args.append(cur.strip())
    return args


def _tf_literal(text: str) -> Any:
    """A branch of a conditional: a literal, or a reference given back to value()."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if re.fullmatch(r'"[^"]*"', text):
        return text[1:-1]
    if text == "{}":
        return {}
    if text == "[]":
        return []
    return "${" + text + "}"


@functools.cache
def _parse_terraform(tf_dir: Path) -> dict:
    files = {}
    for path in sorted(tf_dir.glob("*.tf")):
        with path.open() as fh:
            files[path.name] = _clean(hcl2.load(fh, serialization_options=_OPTS))
    return files


@functools.cache
def load_terraform(tf_dir: Path = TF_DIR, variant: str = "public", switches: frozenset[str] = frozenset()) -> TerraformConfig:
    """The Terraform configuration with the variant switch set (variants.py) and each feature
    switch (variable) in `switches` turned on."""
    t = TerraformConfig(_parse_terraform(tf_dir), {TF_SWITCH: is_private(variant)})
    for name in switches:
        assert name in t.variables, f"infra/terraform has no variable {name}"
        t.overrides[name] = True
    return t


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def dig(d: Any, path: str, default: Any = None) -> Any:
    """`dig(x, 'a.b.c')`; a list of one block (HCL) is looked through."""
    cur = d
    for part in path.split("."):
        if isinstance(cur, list) and len(cur) == 1:
            cur = cur[0]
        if not isinstance(cur, dict) or part not in cur:
            return default
        cur = cur[part]
    if isinstance(cur, list) and len(cur) == 1 and isinstance(cur[0], dict):
        return cur[0]
    return cur


def enabled(v: Any) -> Any:
    """'Enabled'/'Disabled' -> True/False; other values unchanged."""
    if isinstance(v, str) and v.lower() in ("enabled", "disabled"):
        return v.lower() == "enabled"
    return v


KEYVAULT_REF = re.compile(r"^@Microsoft\.KeyVault\(SecretUri=(?P<uri>[^)]*)\)$")


def keyvault_secret_name(value: str) -> str | None:
    """The secret name of a Key Vault reference (`.../secrets/<name>/[version]`), or None."""
    m = KEYVAULT_REF.match(value or "")
    if not m:
        return None
    m2 = re.search(r"/secrets/([A-Za-z0-9-]+)/?", m.group("uri"))
    return m2.group(1) if m2 else None
