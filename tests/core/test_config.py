"""Settings: environment, TOML, precedence, the generated secret key, readable startup errors."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from parley.core.config import SECRET_FILE_NAME, ConfigError, Settings, load_settings
from tests.test_cli import assert_clean_refusal, parley_env


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test from the defaults: no PARLEY_* variable of the caller leaks in."""
    for name in [n for n in os.environ if n.startswith("PARLEY_")]:
        monkeypatch.delenv(name)


def test_defaults_suit_the_embedded_mode() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./parley.db"
    assert (settings.bus, settings.role, settings.port, settings.secret_key) == (
        "memory",
        "all",
        8000,
        None,
    )


def test_environment_and_toml_with_the_environment_winning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "parley.toml"
    config.write_text('port = 9001\nbus = "redis"\nredis_url = "redis://cache:6379/0"\n')
    monkeypatch.setenv("PARLEY_CONFIG", str(config))
    from_file = load_settings()
    assert (from_file.port, from_file.bus, from_file.redis_url) == (
        9001,
        "redis",
        "redis://cache:6379/0",
    )
    monkeypatch.setenv("PARLEY_PORT", "9002")
    both = load_settings()
    assert (both.port, both.bus) == (9002, "redis")
    assert load_settings(port=9003).port == 9003  # command-line options win over both


def test_the_secret_key_is_generated_once_beside_the_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'chat.db'}"
    first = Settings(database_url=url).signing_key
    secret = tmp_path / "data" / SECRET_FILE_NAME
    assert secret.is_file() and len(first) >= 32
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert Settings(database_url=url).signing_key == first  # the next start reuses it
    assert Settings(database_url=url, secret_key="k" * 32).signing_key == "k" * 32


def test_a_readable_secret_file_is_made_private_again(tmp_path: Path) -> None:
    secret = tmp_path / SECRET_FILE_NAME
    secret.write_text("s" * 40)
    secret.chmod(0o644)
    assert Settings(data_dir=tmp_path).signing_key == "s" * 40
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("content", "needle"), [("short", "too short"), (b"\xff" * 40, "not UTF-8")]
)
def test_a_broken_secret_file_is_a_config_error(
    tmp_path: Path, content: str | bytes, needle: str
) -> None:
    secret = tmp_path / SECRET_FILE_NAME
    if isinstance(content, bytes):
        secret.write_bytes(content)
    else:
        secret.write_text(content)
    with pytest.raises(ConfigError, match=needle):
        _ = Settings(data_dir=tmp_path).signing_key


def _toml(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return {"PARLEY_CONFIG": str(path)}


#: (label, environment, extra arguments, what the message must name)
INVALID: list[tuple[str, dict[str, str], list[str], str]] = [
    ("not a URL", {"PARLEY_DATABASE_URL": "nonsense"}, [], "PARLEY_DATABASE_URL"),
    (
        "port not a number",
        {"PARLEY_DATABASE_URL": "postgresql+asyncpg://db:port/x"},
        [],
        "PARLEY_DATABASE_URL",
    ),
    ("unknown driver", {"PARLEY_DATABASE_URL": "oracle://db/x"}, [], "PARLEY_DATABASE_URL"),
    ("unknown bus", {"PARLEY_BUS": "pigeon"}, [], "PARLEY_BUS"),
    ("port too high", {"PARLEY_PORT": "70000"}, [], "PARLEY_PORT"),
    ("port zero", {"PARLEY_PORT": "0"}, [], "PARLEY_PORT"),
    ("port a word", {"PARLEY_PORT": "http"}, [], "PARLEY_PORT"),
    ("--port too high", {}, ["--port", "65536"], "PARLEY_PORT"),
    ("unknown role", {"PARLEY_ROLE": "everything"}, [], "PARLEY_ROLE"),
    ("short secret", {"PARLEY_SECRET_KEY": "hunter2"}, [], "PARLEY_SECRET_KEY"),
    ("bad redis URL", {"PARLEY_REDIS_URL": "http://cache"}, [], "PARLEY_REDIS_URL"),
    ("bad log level", {"PARLEY_LOG_LEVEL": "loud"}, [], "PARLEY_LOG_LEVEL"),
    ("missing TOML", {"PARLEY_CONFIG": "/nonexistent/parley.toml"}, [], "cannot read config"),
    ("TOML a folder", {"PARLEY_CONFIG": "/"}, [], "cannot read config"),
]
#: TOML files, written per test: (label, content, what the message must name)
INVALID_TOML = [
    ("invalid TOML", "port = = 1\n", "not valid TOML"),
    ("TOML unknown key", 'colour = "blue"\n', "PARLEY_COLOUR: unknown setting"),
    ("TOML port out of range", "port = 99999\n", "PARLEY_PORT"),
    ("TOML wrong type", 'access_token_ttl_seconds = "soon"\n', "PARLEY_ACCESS_TOKEN_TTL_SECONDS"),
]


def test_invalid_settings_stop_serve_with_a_readable_message(tmp_path: Path) -> None:
    """Through the real CLI: exit code 2, the setting named, no traceback, nothing created.

    The processes run side by side: each is a full interpreter start.
    """
    cases = [(label, env, args, needle) for label, env, args, needle in INVALID]
    for i, (label, content, needle) in enumerate(INVALID_TOML):
        folder = tmp_path / f"toml{i}"
        folder.mkdir()
        cases.append((label, _toml(folder, content), [], needle))
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    cases.append(
        ("data dir under a file", {"PARLEY_DATA_DIR": str(not_a_dir / "sub")}, [], "secret")
    )

    running = []
    for i, (label, env, args, needle) in enumerate(cases):
        workdir = tmp_path / f"run{i}"
        workdir.mkdir()
        process = subprocess.Popen(
            [sys.executable, "-m", "parley", "serve", *args],
            cwd=workdir,
            env=parley_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        running.append((label, needle, workdir, process))
    failures = []
    for label, needle, workdir, process in running:
        try:
            stdout, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        try:
            assert_clean_refusal(result, needle)
            assert not (workdir / "parley.db").exists(), "a database was created"
        except AssertionError as exc:
            failures.append(f"{label}: {exc}")
    assert failures == []


def test_ice_servers_accept_stun_and_turn_urls_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "PARLEY_ICE_SERVERS", '["stun:stun.example.org:3478", "turns:t.example:5349"]'
    )
    assert load_settings().ice_servers == ["stun:stun.example.org:3478", "turns:t.example:5349"]
    monkeypatch.setenv("PARLEY_ICE_SERVERS", '["javascript:alert(1)"]')
    with pytest.raises(ConfigError, match="ICE_SERVERS"):
        load_settings()


def test_file_settings_come_from_the_toml_file_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "parley.toml"
    config.write_text('upload_max_bytes = 1048576\nfiles_dir = "/srv/parley-files"\n')
    monkeypatch.setenv("PARLEY_CONFIG", str(config))
    settings = load_settings()
    assert settings.upload_max_bytes == 1_048_576
    assert settings.files_directory == Path("/srv/parley-files")
    monkeypatch.setenv("PARLEY_FILES_BACKEND", "s3")
    with pytest.raises(ConfigError, match="FILES_S3_BUCKET"):
        load_settings()
