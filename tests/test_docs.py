"""The README's promises: two quickstart commands, the same test command in CI, sources documented."""

from __future__ import annotations

import re

from tests.conftest import REPO


def quickstart_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```\n(.+?)\n```", section)


def test_quickstart_has_exactly_two_commands_run_app_and_tests():
    commands = quickstart_commands()
    assert len(commands) == 2
    assert "streamlit run app.py" in commands[0]
    assert "pytest" in commands[1]
    for command in commands:
        assert "requirements.txt" in command


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text()
    assert quickstart_commands()[1] in ci.splitlines()
    assert "set -euo pipefail" in ci


def test_every_pinned_requirement_is_exact():
    for name in ("requirements.txt", "requirements-dev.txt"):
        lines = [ln for ln in (REPO / name).read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][\w.]*", ln) for ln in lines), name


def test_b12core_never_imports_streamlit():
    for path in (REPO / "b12core").rglob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+streamlit", path.read_text(), re.M), path


def test_readme_cli_example_prints_what_it_shows(tmp_path):
    import shlex
    import subprocess
    import sys

    readme = (REPO / "README.md").read_text()
    command, shown = re.search(r"```\n\$ (.+?)\n(.+?)\n```", readme).groups()
    args = shlex.split(command)
    assert args[:3] == [".venv/bin/python", "-m", "b12core"]
    args = [sys.executable, "-m", "b12core", *(str(tmp_path / a) if a.endswith((".parquet", "rejected.csv"))
                                              else a for a in args[3:])]
    result = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert result.stderr.strip() == shown


def test_security_page_states_the_limits_the_code_uses():
    from b12core.limits import APP_MAX_FILES, APP_MAX_ROWS, MAX_COLUMNS

    security = (REPO / "SECURITY.md").read_text()
    config = (REPO / ".streamlit" / "config.toml").read_text()
    upload_mb = int(re.search(r"maxUploadSize\s*=\s*(\d+)", config).group(1))
    assert f"| Upload size | {upload_mb} MB" in security
    assert f"| {APP_MAX_FILES};" in security
    assert f"| {APP_MAX_ROWS:,};" in security
    assert f"| {MAX_COLUMNS:,} |" in security
    assert 'showErrorDetails = "none"' in config and "gatherUsageStats = false" in config
