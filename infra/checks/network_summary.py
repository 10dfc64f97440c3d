"""The `network` part of the summaries: what the network-hardened variant adds (empty in the
public variant, where none of it is deployed).

Both template sets reduce to the same shape: the virtual network's address space, each subnet
(prefix, delegation, NSG, NAT gateway, default outbound access, endpoint network policies), the
NSG rules, the NAT gateway and its public IP, the private DNS zones and their links, and every
private endpoint as (name suffix, target resource, sub-resource, DNS zone). Bicep keeps these
in modules/network.bicep (+ the app's endpoint module in main.bicep), Terraform in network.tf.
"""

from __future__ import annotations

import re
from typing import Any

from iac import BICEP_NETWORK_MODULE, BicepFile, TerraformConfig, dig, load_bicep_module, snake

_ZONE = re.compile(r"privatelink\.[a-z.]+")
# What Bicep's environment() gives in Azure public cloud, which Terraform's literal names assume.
AZURE_PUBLIC_CLOUD = {"environment().suffixes.storage": "core.windows.net"}


def _rule(name, priority, direction, access, protocol, src, src_port, dst, dst_port) -> tuple:
    return (name, int(priority), direction, access, protocol, src, src_port, dst, dst_port)


# ---------------------------------------------------------------------------------------------
# Bicep
# ---------------------------------------------------------------------------------------------


def bicep_network(b: BicepFile) -> dict:
    if b.value(b.modules["network"]["config"]["condition"]) is not True:
        return {}
    n = load_bicep_module(b, "network", BICEP_NETWORK_MODULE)

    def target(node: Any) -> str:
        return snake(b.expr_text(node).split(".")[0])

    def zone(name: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: AZURE_PUBLIC_CLOUD[n.expr_text(n.value(m.group(1)))], name)

    endpoints = [
        (e["name"], target(e["targetId"]), e["groupId"], zone(e["zone"])) for e in n.value("endpoints")
    ]
    app = b.modules["appEndpoint"]["config"]
    assert b.value(app["condition"]) is True, "the app's endpoint must exist exactly when the network does"
    ap = b.value(app["config"]["params"])
    zone_output = n.expr_text(n.outputs[b.expr_text(ap["privateDnsZoneId"]).split(".")[-1]]["value"])
    endpoints.append((b.sig(app["config"]["params"]["name"]).rsplit("<param:suffix>-", 1)[-1], target(ap["targetId"]), ap["groupId"], _ZONE.search(zone_output).group(0)))

    subnets = {}
    for sub in n.value(dig(n.body("vnet"), "properties.subnets")):
        p = sub["properties"]
        subnets[sub["name"]] = {
            "prefix": p["addressPrefix"],
            "delegation": dig(p, "delegations.properties.serviceName"),
            "nsg": snake(n.expr_text(dig(p, "networkSecurityGroup.id")).split(".")[0]) if p.get("networkSecurityGroup") else None,
            "nat": bool(p.get("natGateway")),
            "default_outbound": p.get("defaultOutboundAccess"),
            "endpoint_policies": p.get("privateEndpointNetworkPolicies"),
        }
    nsg_rules = {
        snake(sym): sorted(
            _rule(r["name"], *(r["properties"][k] for k in ("priority", "direction", "access", "protocol", "sourceAddressPrefix", "sourcePortRange", "destinationAddressPrefix", "destinationPortRange")))
            for r in n.value(dig(n.body(sym), "properties.securityRules"))
        )
        for sym, r in n.resources.items()
        if r["type"] == "Microsoft.Network/networkSecurityGroups"
    }
    nat = n.value(n.body("natGateway"))
    ip = n.value(n.body("egressIp"))
    zones = [zone(z) for z in n.loop_array("dnsZones")]
    links = n.value(n.body("dnsLinks"))
    return {
        "names": {snake(sym): n.sig(n.body(sym)["name"]) for sym in ("vnet", "appNsg", "endpointNsg", "egressIp", "natGateway")},
        "address_space": n.value(dig(n.body("vnet"), "properties.addressSpace.addressPrefixes")),
        "subnets": subnets,
        "nsg_rules": nsg_rules,
        "nat": {
            "sku": nat["sku"]["name"],
            "idle_timeout": dig(nat, "properties.idleTimeoutInMinutes"),
            "public_ips": len(dig(nat, "properties.publicIpAddresses", [])),
            "ip_sku": ip["sku"]["name"],
            "ip_allocation": dig(ip, "properties.publicIPAllocationMethod"),
        },
        "dns_zones": sorted(zones),
        "dns_links": sorted(
            (z, snake(n.expr_text(dig(links, "properties.virtualNetwork.id")).split(".")[0]), dig(links, "properties.registrationEnabled"))
            for z in map(zone, n.loop_array("dnsLinks"))
        ),
        "endpoints": sorted(endpoints),
    }


# ---------------------------------------------------------------------------------------------
# Terraform
# ---------------------------------------------------------------------------------------------


def tf_instances(t: TerraformConfig, body: dict) -> Any:
    """How many instances a resource has in this variant: its count, its for_each map, or 1."""
    if "count" in body:
        return t.value(body["count"])
    if "for_each" in body:
        return t.value(body["for_each"])
    return 1


def _ref(text: str) -> str:
    m = re.search(r"(?:azurerm|azuread)_[a-z0-9_]+\.([a-z0-9_]+)", text or "")
    return m.group(1) if m else text


def terraform_network(t: TerraformConfig) -> dict:
    res = {k: v for k, v in t.resources.items() if tf_instances(t, v)}
    if ("azurerm_virtual_network", "vnet") not in res:
        return {}

    def of(rtype: str) -> dict[str, dict]:
        return {name: body for (rt, name), body in res.items() if rt == rtype}

    zones = t.value(of("azurerm_private_dns_zone")["dns_zones"]["for_each"])
    endpoints = []
    for name, body in of("azurerm_private_endpoint").items():
        conn = dig(body, "private_service_connection")
        zone_key = re.search(r'dns_zones\["([a-z]+)"\]', dig(body, "private_dns_zone_group.private_dns_zone_ids")[0]).group(1)
        endpoints.append((body["name"].rsplit("${var.suffix}-", 1)[-1], _ref(conn["private_connection_resource_id"]), conn["subresource_names"][0], zones[zone_key]))

    nsg_of = {_ref(a["subnet_id"]): _ref(a["network_security_group_id"]) for a in of("azurerm_subnet_network_security_group_association").values()}
    nat_of = {_ref(a["subnet_id"]) for a in of("azurerm_subnet_nat_gateway_association").values()}
    subnets = {}
    for name, body in of("azurerm_subnet").items():
        subnets[body["name"]] = {
            "prefix": t.value(body["address_prefixes"][0]),
            "delegation": dig(body, "delegation.service_delegation.name"),
            "nsg": nsg_of.get(name),
            "nat": name in nat_of,
            "default_outbound": body.get("default_outbound_access_enabled"),
            "endpoint_policies": body.get("private_endpoint_network_policies"),
        }
    nsg_rules = {
        name: sorted(
            _rule(r["name"], *(r[k] for k in ("priority", "direction", "access", "protocol", "source_address_prefix", "source_port_range", "destination_address_prefix", "destination_port_range")))
            for r in body.get("security_rule", [])
        )
        for name, body in of("azurerm_network_security_group").items()
    }
    nat = of("azurerm_nat_gateway")["nat_gateway"]
    ip = of("azurerm_public_ip")["egress_ip"]
    links = of("azurerm_private_dns_zone_virtual_network_link")["dns_links"]
    names = {**of("azurerm_virtual_network"), **of("azurerm_network_security_group"), **of("azurerm_public_ip"), **of("azurerm_nat_gateway")}
    return {
        "names": {name: t.sig(body["name"]) for name, body in names.items()},
        "address_space": [t.value(x) for x in of("azurerm_virtual_network")["vnet"]["address_space"]],
        "subnets": subnets,
        "nsg_rules": nsg_rules,
        "nat": {
            "sku": nat["sku_name"],
            "idle_timeout": nat["idle_timeout_in_minutes"],
            "public_ips": len([a for a in of("azurerm_nat_gateway_public_ip_association").values() if _ref(a["nat_gateway_id"]) == "nat_gateway"]),
            "ip_sku": ip["sku"],
            "ip_allocation": ip["allocation_method"],
        },
        "dns_zones": sorted(zones.values()),
        "dns_links": sorted((zones[k], _ref(links["virtual_network_id"]), links["registration_enabled"]) for k in t.value(links["for_each"])),
        "endpoints": sorted(endpoints),
    }
