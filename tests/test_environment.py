"""environment.yml (conda/Binder), pyproject.toml and requirements-lock.txt agree."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _pyproject_requirements():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"].get("optional-dependencies", {}).values():
        reqs += extra
    return {canonicalize_name(Requirement(r).name): Requirement(r) for r in reqs}


def _conda_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if not isinstance(dep, str) or re.match(r"^(python|pip)\b", dep):
            continue
        req = Requirement(dep.replace(" ", ""))
        out[canonicalize_name(req.name)] = req
    return out


def test_environment_yml_matches_pyproject():
    py, conda = _pyproject_requirements(), _conda_requirements()
    assert set(py) == set(conda), (
        f"only in pyproject: {sorted(set(py) - set(conda))}; "
        f"only in environment.yml: {sorted(set(conda) - set(py))}"
    )
    for name, req in py.items():
        assert str(req.specifier) == str(conda[name].specifier), name


def test_lock_pins_every_dependency_within_its_range():
    pins = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, version = line.partition("==")
        assert version, f"lock line is not an exact pin: {line!r}"
        pins[canonicalize_name(name)] = Version(version.split(";")[0].strip())
    for name, req in _pyproject_requirements().items():
        assert name in pins, f"{name} is not pinned in requirements-lock.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} is outside pyproject's range {req.specifier}"
        )


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test" in readme
    assert "bash scripts/book" in readme
    assert re.search(r"^bash scripts/test\s*$", ci, re.M)
    assert "set -eo pipefail" in ci
