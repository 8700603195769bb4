"""Start and stop the tritonserver bundled in the ``nvidia-pytriton`` wheel, on loopback.

The wheel ships ``tritonserver`` 2.x with the Python back end, but not laid out the way the
server expects: the Python back-end stub for each interpreter version sits apart from the back
end. :class:`TritonServer` builds a small back-end folder with the right stub, sets
``LD_LIBRARY_PATH`` (the interpreter's lib dir and ``nvidia_pytriton.libs``) and
``PYTHONPATH`` (the venv's site-packages, so ``model.py`` can import numpy and onnxruntime),
picks free ports on 127.0.0.1 and waits for ``/v2/health/ready`` with a deadline.

Used by tests/triton/ and from the command line::

    python -m build_engine.triton_server --repo DIR [--venv .venv-triton]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from inference.errors import BackendUnavailableError, ExitCode

log = logging.getLogger(__name__)

DEFAULT_VENV = Path(__file__).resolve().parents[1] / ".venv-triton"
VENV_ENV_VAR = "NOTELASSO_TRITON_VENV"
SETUP_HINT = (
    "python3 -m venv .venv-triton && "
    ".venv-triton/bin/pip install nvidia-pytriton 'numpy<2' onnxruntime  (or: make triton-venv)"
)


def triton_venv() -> Path:
    """The venv holding nvidia-pytriton: $NOTELASSO_TRITON_VENV or .venv-triton at the repo root."""
    return Path(os.environ.get(VENV_ENV_VAR) or DEFAULT_VENV)


def _site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3.*/site-packages"))
    if not found:
        raise BackendUnavailableError(f"{venv} is not a Python virtual environment.", hint=SETUP_HINT)
    return found[-1]


def find_tritonserver(venv: Path) -> Path:
    """Path of the ``tritonserver`` binary inside ``venv``; BackendUnavailableError if absent."""
    binary = _site_packages(venv) / "pytriton" / "tritonserver" / "bin" / "tritonserver"
    if not binary.is_file():
        raise BackendUnavailableError(f"No tritonserver in {venv} (nvidia-pytriton is not installed).", hint=SETUP_HINT)
    return binary


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _python_of(venv: Path) -> tuple[str, str]:
    """(``major.minor``, LIBDIR) of the venv's interpreter."""
    out = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            (
                "import sys, sysconfig; print(f'{sys.version_info[0]}.{sys.version_info[1]}'); "
                "print(sysconfig.get_config_var('LIBDIR') or '')"
            ),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split("\n")
    return out[0].strip(), out[1].strip()


class TritonServer:
    """One tritonserver process on 127.0.0.1; a context manager.

    ``grpc_url`` / ``http_url`` are ``host:port`` strings for the clients. ``log_path`` holds the
    server's own log (model names, load errors; never request contents).
    """

    def __init__(
        self,
        repo: Path,
        *,
        venv: Path | None = None,
        grpc_port: int | None = None,
        http_port: int | None = None,
        log_verbose: int = 0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.repo = Path(repo).resolve()
        self.venv = Path(venv or triton_venv()).resolve()
        self.binary = find_tritonserver(self.venv)
        self.grpc_port = grpc_port or free_port()
        self.http_port = http_port or free_port()
        self.metrics_port = free_port()
        self.log_verbose = log_verbose
        self.extra_args = tuple(extra_args)
        self._proc: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self.log_path: Path | None = None

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"127.0.0.1:{self.http_port}"

    def _prepare(self) -> tuple[Path, dict[str, str]]:
        """A back-end folder with the stub for the venv's Python, and the server's environment."""
        dist = self.binary.parents[1]
        version, libdir = _python_of(self.venv)
        stub = dist / "python_backend_stubs" / version / "triton_python_backend_stub"
        if not stub.is_file():
            raise BackendUnavailableError(
                f"The Triton Python back end has no stub for Python {version}.",
                hint="create .venv-triton with Python 3.8 to 3.13",
            )
        work = Path(tempfile.mkdtemp(prefix="notelasso-triton-"))
        backends = work / "backends"
        shutil.copytree(dist / "backends", backends)
        shutil.copy2(stub, backends / "python" / "triton_python_backend_stub")
        site = _site_packages(self.venv)
        env = dict(os.environ)
        libs = [p for p in (libdir, str(site / "nvidia_pytriton.libs")) if p]
        env["LD_LIBRARY_PATH"] = ":".join([*libs, env["LD_LIBRARY_PATH"]] if env.get("LD_LIBRARY_PATH") else libs)
        env["PYTHONPATH"] = str(site)
        env["PATH"] = f"{self.venv / 'bin'}:{env.get('PATH', '')}"
        env.setdefault("OMP_NUM_THREADS", "1")
        self._workdir = work
        return backends, env

    def start(self, *, timeout_s: float = 60.0) -> TritonServer:
        if not self.repo.is_dir():
            raise BackendUnavailableError(f"Model repository not found: {self.repo}")
        backends, env = self._prepare()
        assert self._workdir is not None
        self.log_path = self._workdir / "tritonserver.log"
        cmd = [
            str(self.binary),
            f"--model-repository={self.repo}",
            f"--backend-directory={backends}",
            f"--cache-directory={self.binary.parents[1] / 'caches'}",
            "--http-address=127.0.0.1",
            f"--http-port={self.http_port}",
            "--grpc-address=127.0.0.1",
            f"--grpc-port={self.grpc_port}",
            f"--metrics-port={self.metrics_port}",
            "--allow-metrics=false",
            "--allow-gpu-metrics=false",
            f"--log-verbose={self.log_verbose}",
            "--exit-on-error=true",
            *self.extra_args,
        ]
        log.info("starting tritonserver on grpc %s, http %s", self.grpc_url, self.http_url)
        with open(self.log_path, "wb") as logfile:
            self._proc = subprocess.Popen(
                cmd, stdout=logfile, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        try:
            self.wait_ready(timeout_s)
        except BaseException:
            self.stop(keep_log=True)
            raise
        return self

    def is_ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.http_url}/v2/health/ready", timeout=1.0) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise BackendUnavailableError(
                    f"tritonserver exited during start-up (code {self._proc.returncode if self._proc else '?'}); "
                    f"see {self.log_path}."
                )
            if self.is_ready():
                return
            time.sleep(0.2)
        raise BackendUnavailableError(f"tritonserver was not ready within {timeout_s:.0f} s; see {self.log_path}.")

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def kill(self) -> None:
        """SIGKILL the server (tests: a server dying mid-run)."""
        if self._proc and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(10)

    def stop(self, *, grace_s: float = 15.0, keep_log: bool = False) -> None:
        """SIGTERM, then SIGKILL after ``grace_s``; removes the temporary back-end folder.

        With ``keep_log`` the server log survives as ``/tmp/notelasso-triton-*.log`` (``log_path``).
        """
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
            except ProcessLookupError:
                pass
        if self._workdir is not None:
            keep = self.log_path if keep_log and self.log_path and self.log_path.is_file() else None
            if keep is not None:  # keep the log beside the temp folder for post-mortems
                dest = self._workdir.with_suffix(".log")
                shutil.move(str(keep), dest)
                self.log_path = dest
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def log_tail(self, n: int = 40) -> str:
        if self.log_path is None or not self.log_path.is_file():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def __enter__(self) -> TritonServer:
        return self if self._proc is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m build_engine.triton_server",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--repo", type=Path, required=True, help="model repository (notelasso-engine triton-repo)")
    p.add_argument(
        "--venv", type=Path, default=None, help=f"venv with nvidia-pytriton (default ${VENV_ENV_VAR} or .venv-triton)"
    )
    p.add_argument("--grpc-port", type=int, default=8001)
    p.add_argument("--http-port", type=int, default=8000)
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the server to be ready")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        server = TritonServer(args.repo, venv=args.venv, grpc_port=args.grpc_port, http_port=args.http_port)
        server.start(timeout_s=args.timeout)
    except BackendUnavailableError as exc:
        from inference.errors import report_error

        return report_error("triton_server", exc)
    print(f"tritonserver ready: grpc {server.grpc_url}  http {server.http_url}  log {server.log_path}", flush=True)

    def _on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Stop the server on SIGTERM/SIGINT too (a background job ignores SIGINT).
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        while server.is_running():
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop(keep_log=True)
    print(f"tritonserver stopped; log {server.log_path}")
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
