"""Inventories: Ansible INI/YAML, Prometheus file_sd and plain lists expanded into targets."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from opsgate.demo import DemoProcess
from opsgate.inventory import InventoryError, InventoryHost, expand, read_inventory
from opsgate.profile import ProfileError, load_profile
from tests.conftest import REPO, RunChecks, free_port

ANSIBLE_INI = """\
# a fleet as Ansible writes it
[web]
web-01 ansible_host=10.0.0.1
web-02 ansible_host=10.0.0.2 http_port=8081

[db]
db-01 ansible_host=10.0.1.1

[prod:children]
web
db

[web:vars]
http_port=8080

[all:vars]
region=eu-west
"""

ANSIBLE_YAML = """\
all:
  vars: {region: eu-west}
  children:
    web:
      vars: {http_port: 8080}
      hosts:
        web-01: {ansible_host: 10.0.0.1}
        web-02: {ansible_host: 10.0.0.2, http_port: 8081}
    db:
      hosts:
        db-01: {ansible_host: 10.0.1.1}
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(textwrap.dedent(text))
    return name


@pytest.mark.parametrize("name, text", [("hosts.ini", ANSIBLE_INI), ("hosts.yaml", ANSIBLE_YAML)])
def test_ansible_group_hosts_carry_host_vars_over_group_vars_over_all(
    tmp_path: Path, name: str, text: str,
) -> None:
    hosts = read_inventory({"ansible": write(tmp_path, name, text), "group": "web"}, "inv", tmp_path)
    assert hosts == [
        InventoryHost("web-01", {"region": "eu-west", "http_port": "8080", "ansible_host": "10.0.0.1"}),
        InventoryHost("web-02", {"region": "eu-west", "http_port": "8081", "ansible_host": "10.0.0.2"}),
    ]


def test_ansible_parent_group_takes_its_children(tmp_path: Path) -> None:
    hosts = read_inventory({"ansible": write(tmp_path, "h.ini", ANSIBLE_INI), "group": "prod"}, "i", tmp_path)
    assert [host.name for host in hosts] == ["web-01", "web-02", "db-01"]
    everyone = read_inventory({"ansible": write(tmp_path, "h.ini", ANSIBLE_INI)}, "i", tmp_path)
    assert [host.name for host in everyone] == ["web-01", "web-02", "db-01"]


def test_unknown_ansible_group_names_the_groups_there_are(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=r"no group 'api' \(groups: db, prod, web\)"):
        read_inventory({"ansible": write(tmp_path, "h.ini", ANSIBLE_INI), "group": "api"}, "i", tmp_path)


def test_file_sd_targets_take_their_group_labels(tmp_path: Path) -> None:
    groups = [{"targets": ["10.0.0.1:9100", "10.0.0.2:9100"], "labels": {"env": "prod", "job": "node"}},
              {"targets": ["10.0.9.9:9100"], "labels": {"env": "staging"}}]
    hosts = read_inventory({"file_sd": write(tmp_path, "sd.json", json.dumps(groups))}, "i", tmp_path)
    assert hosts[0] == InventoryHost("10.0.0.1:9100", {"env": "prod", "job": "node"})
    assert hosts[2] == InventoryHost("10.0.9.9:9100", {"env": "staging"})


def test_template_expands_names_urls_and_nested_values_per_host() -> None:
    raw = {
        "inventories": {"web": {"hosts": ["web-01", {"name": "web-02", "labels": {"port": 8443}}]}},
        "http": [
            {"name": "api", "for_each": "web", "url": "https://{{host}}/health"},
            {"name": "static", "url": "https://example.test/"},
        ],
    }
    raw["inventories"]["web"]["hosts"][0] = {"name": "web-01", "labels": {"port": 443}}
    raw["http"][0]["headers"] = {"X-Port": "{{ labels.port }}"}
    assert expand(raw, Path("."))["http"] == [
        {"name": "api@web-01", "url": "https://web-01/health", "headers": {"X-Port": "443"}},
        {"name": "api@web-02", "url": "https://web-02/health", "headers": {"X-Port": "8443"}},
        {"name": "static", "url": "https://example.test/"},
    ]


@pytest.mark.parametrize("profile, message", [
    ("http: [{name: a, for_each: web, url: 'http://{{host}}/'}]",
     "http[0].for_each: unknown inventory 'web' (known: none declared)"),
    ("inventories: {web: {hosts: [h1]}}\nhttp: [{name: a, for_each: web, url: 'http://{{labels.port}}/'}]",
     "http[0].url: placeholder {{labels.port}} is not known for host 'h1' (known: host)"),
    ("inventories: {web: {hosts: []}}\nhttp: [{name: a, for_each: web, url: 'http://{{host}}/'}]",
     "inventories.web: the inventory has no hosts: a fleet check over nothing would pass"),
    ("inventories: {web: {ansible: missing.ini}}\nhttp: [{name: a, for_each: web, url: 'http://{{host}}/'}]",
     "inventories.web.ansible: cannot read"),
    ("inventories: {web: {hosts: [h], file_sd: x.json}}\nhttp: [{name: a, for_each: web, url: 'http://x/'}]",
     "inventories.web: expected exactly one of 'ansible', 'file_sd' or 'hosts'"),
])
def test_inventory_mistakes_are_profile_errors_with_the_key_path(
    tmp_path: Path, profile: str, message: str,
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"name: fleet\n{profile}\n")
    with pytest.raises(ProfileError) as raised:
        load_profile(path, environ={})
    assert f"{path}: {message}" in str(raised.value)


def test_the_documented_fleet_example_expands_and_runs_one_check_per_host(
    run_checks: RunChecks, pytester: pytest.Pytester, demo: DemoProcess,
) -> None:
    """docs/examples/fleet: a file_sd inventory, one http template; a dead host fails alone."""
    up, down = demo.http_url.removeprefix("http://"), f"127.0.0.1:{free_port()}"
    groups = [{"targets": [up, down], "labels": {"env": "demo"}}]
    (pytester.path / "targets.json").write_text(json.dumps(groups))
    result = run_checks((REPO / "docs" / "examples" / "fleet" / "profile.yaml").read_text(), "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        f"*test_http?api@{up}? PASSED*",
        f"*test_http?api@{down}? FAILED*",
    ])
