"""The one settings table drives CLI flags, stored settings and the back-end config."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop.core import settings as table


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    table.add_cli_arguments(parser)
    return parser.parse_args(list(argv))


def test_every_setting_has_key_type_default_and_help() -> None:
    keys = [s.key for s in table.SETTINGS]
    assert len(keys) == len(set(keys))
    for s in table.SETTINGS:
        assert isinstance(s.default, s.type) and s.help
    assert table.defaults()["review/confidence_threshold"] == 0.6
    assert table.defaults()["document/dpi"] == 200


def test_cli_flags_override_only_what_was_given() -> None:
    given = table.from_cli(parse("--backend", "triton", "--url", "ocr.example:8001", "--tls", "--threshold", "0.4"))
    assert given == {"backend/kind": "triton", "backend/url": "ocr.example:8001", "backend/tls": True,
                     "review/confidence_threshold": 0.4}
    assert table.from_cli(parse()) == {}


def test_backend_config_from_settings() -> None:
    values = table.defaults() | {"backend/model_path": "/m/a.onnx", "backend/threads": 3}
    cfg = table.backend_config(values)
    assert cfg.kind == "cpu" and cfg.model_path == Path("/m/a.onnx") and cfg.threads == 3
    values |= {"backend/kind": "tensorrt", "backend/plan_path": "/m/a.plan"}
    assert table.backend_config(values).model_path == Path("/m/a.plan")
    values |= {"backend/kind": "triton", "backend/token_header": "Authorization: Bearer abc", "backend/tls": True}
    cfg = table.backend_config(values)
    assert cfg.headers == {"Authorization": "Bearer abc"} and cfg.ssl


def test_coerce_stored_strings_and_bounds() -> None:
    assert table.coerce("backend/tls", "true") is True
    assert table.coerce("backend/tls", "false") is False
    assert table.coerce("document/dpi", "300") == 300
    assert table.coerce("document/dpi", "9999") == 600
    assert table.coerce("backend/kind", "quantum") == "cpu"
    assert table.coerce("review/confidence_threshold", "nonsense") == 0.6


def test_remote_host() -> None:
    assert table.remote_host(table.defaults()) is None
    assert table.remote_host({"backend/kind": "triton", "backend/url": "grpcs://ocr.lan:8001"}) == "ocr.lan"
