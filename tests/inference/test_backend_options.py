"""The back-end option schema: coercion, bounds, generated flags, and opening through the plugin registry."""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from inference import backends
from inference.backends import BackendConfig, BackendPlugin, Option, available_backends, open_backend
from inference.backends.options import add_arguments, given_values
from inference.backends.plugins import PLUGINS, parse_header
from inference.errors import BackendUnavailableError, InputError, NoModelError
from inference.spec import ModelSpec

TIMEOUT = Option("timeout_s", float, 10.0, "Seconds per call.", "--timeout", minimum=0.1, maximum=600.0)
THREADS = Option("threads", int, 0, "Threads.", "--threads", minimum=0, maximum=64)
TLS = Option("tls", bool, False, "Use TLS.", "--tls")
KIND = Option("kind", str, "cpu", "Back end.", "--backend", choices=("cpu", "triton"))
TOKEN = Option("token_header", str, "", "Header.", "--header", secret=True)


def test_parse_is_strict_and_says_which_flag() -> None:
    assert TIMEOUT.parse("2.5") == 2.5 and THREADS.parse("4") == 4 and THREADS.parse(4.0) == 4
    assert TLS.parse("yes") is True and TLS.parse("off") is False and TLS.parse(True) is True
    for option, bad, message in (
        (TIMEOUT, "0", "--timeout must be at least 0.1"),
        (TIMEOUT, "601", "--timeout must be at most 600"),
        (THREADS, "two", "--threads needs a whole number"),
        (THREADS, 2.5, "--threads needs a whole number"),
        (TLS, "maybe", "--tls needs on/off"),
        (KIND, "quantum", "--backend must be one of cpu, triton"),
    ):
        with pytest.raises(InputError, match=message):
            option.parse(bad)


def test_a_secret_is_never_echoed_in_an_error() -> None:
    with pytest.raises(InputError) as info:
        TOKEN.parse(12345)
    assert "12345" not in str(info.value)
    with pytest.raises(InputError) as info:
        parse_header("Bearer s3cret-token")
    assert "s3cret" not in str(info.value)
    assert parse_header("authorization: Bearer a:b") == {"authorization": "Bearer a:b"} and parse_header(" ") == {}


def test_coerce_never_raises_clamps_and_falls_back() -> None:
    assert TIMEOUT.coerce("0") == 0.1 and TIMEOUT.coerce(9999) == 600.0 and TIMEOUT.coerce("x") == 10.0
    assert THREADS.coerce("7") == 7 and THREADS.coerce(None) == 0
    assert TLS.coerce("true") is True and TLS.coerce("false") is False and TLS.coerce(1) is True
    assert KIND.coerce("quantum") == "cpu"


def test_generated_flags_keep_unset_ones_none_and_show_defaults() -> None:
    parser = argparse.ArgumentParser(prog="x")
    add_arguments(parser, (KIND, TIMEOUT, TLS, THREADS))
    args = parser.parse_args(["--timeout", "3", "--tls"])
    assert given_values(args, (KIND, TIMEOUT, TLS, THREADS)) == {"timeout_s": 3.0, "tls": True}
    assert given_values(parser.parse_args(["--no-tls"]), (TLS,)) == {"tls": False}
    assert "(default: 10.0)" in parser.format_help() and "--tls, --no-tls" in parser.format_help()
    with pytest.raises(SystemExit):
        parser.parse_args(["--timeout", "0"])  # out of bounds: argparse's usage error, exit 2


def test_every_plugin_option_has_a_flag_a_label_and_a_valid_default() -> None:
    flags: dict[str, str] = {}
    for option in backends.backend_options():
        assert option.flag and option.label and option.help
        assert option.parse(option.default) == option.default
        flags.setdefault(option.flag, option.key)
        assert flags[option.flag] == option.key  # one flag, one option
    assert {"--tls", "--header", "--timeout"} <= set(flags) and "--ssl" not in flags


def test_the_default_address_is_declared_once() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    holders = [
        p
        for d in ("inference", "desktop")
        for p in (root / d).rglob("*.py")
        if "127.0.0.1:8001" in p.read_text(encoding="utf-8")
    ]
    assert holders == [root / "inference" / "backends" / "plugins.py"]


class FakeBackend:
    """A back end that only exists in this test; it remembers the options it was opened with."""

    label = "fake"
    is_remote = False

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)
        self._spec = ModelSpec()

    @property
    def spec(self) -> ModelSpec:
        return self._spec

    def infer(self, batch: np.ndarray) -> np.ndarray:
        return np.zeros((len(batch), self._spec.num_steps, self._spec.num_classes), np.float32)

    def close(self) -> None:
        pass


@pytest.fixture
def fake_plugin(monkeypatch: pytest.MonkeyPatch) -> BackendPlugin:
    plugin = BackendPlugin(
        kind="fake",
        name="Fake engine",
        install_hint="pip install fake-engine",
        options=(Option("level", int, 3, "How hard to try.", "--level", minimum=1, maximum=9, label="Level"),),
        open=FakeBackend,
        is_available=lambda: (True, ""),
    )
    monkeypatch.setitem(PLUGINS, plugin.kind, plugin)
    return plugin


def test_open_backend_looks_up_the_plugin_and_never_names_one(fake_plugin, tiny_onnx) -> None:
    # GIVEN a registered fake back end beside the real CPU one
    # WHEN each is opened through the same call
    fake = open_backend(BackendConfig("fake", {"level": "5"}))
    cpu = open_backend(BackendConfig("cpu", {"model_path": tiny_onnx, "threads": 1}))
    try:
        # THEN each got its own options, checked and defaulted by the schema
        assert isinstance(fake, FakeBackend) and fake.values == {"batch_size": 32, "level": 5}
        assert cpu.label and cpu.spec.num_classes
    finally:
        cpu.close()
    assert available_backends()["fake"] == (True, "")
    source = inspect.getsource(open_backend)
    assert not any(f'"{kind}"' in source for kind in ("cpu", "tensorrt", "triton", "fake"))


def test_options_are_checked_before_the_back_end_opens(fake_plugin) -> None:
    with pytest.raises(InputError, match="--level must be at most 9"):
        open_backend(BackendConfig("fake", {"level": 10}))
    with pytest.raises(InputError, match="has no option url"):
        open_backend(BackendConfig("fake", {"url": "x:1"}))
    with pytest.raises(BackendUnavailableError, match=r"Unknown back end 'nope'.*fake"):
        open_backend(BackendConfig("nope"))


def test_an_unavailable_plugin_gives_its_hint(monkeypatch, fake_plugin) -> None:
    from dataclasses import replace

    monkeypatch.setitem(PLUGINS, "fake", replace(fake_plugin, is_available=lambda: (False, "")))
    with pytest.raises(BackendUnavailableError, match="Fake engine back end is not available") as info:
        open_backend(BackendConfig("fake"))
    assert info.value.hint == "pip install fake-engine"


def test_no_model_is_told_by_its_class(monkeypatch) -> None:
    import inference.models

    monkeypatch.setattr(inference.models, "default_model_path", lambda: None)
    with pytest.raises(NoModelError) as info:
        open_backend(BackendConfig("cpu"))
    assert isinstance(info.value, BackendUnavailableError) and info.value.exit_code == 4


def test_remote_host_comes_from_the_plugins_address_option() -> None:
    assert PLUGINS["triton"].is_remote and not PLUGINS["cpu"].is_remote
    assert PLUGINS["triton"].remote_host({"url": "grpcs://ocr.lan:8001"}) == "ocr.lan"
    assert PLUGINS["triton"].remote_host({}) == "127.0.0.1"
    assert PLUGINS["cpu"].remote_host({"model_path": "/m.onnx"}) is None
