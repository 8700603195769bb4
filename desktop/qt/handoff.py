"""A second launch with a file hands it to the window already running (QLocalServer / QLocalSocket).

The running window listens on a local socket named for the user and its settings; a later launch
connects, sends the file's absolute path (UTF-8, one line) and waits for ``ok``. No answer in time
means no window took it, and the later launch opens its own. Paths only travel, never page content.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

__all__ = ["HandOffServer", "hand_off", "server_name"]

ACK = b"ok\n"
MAX_MESSAGE = 64 * 1024  # a path is far shorter; more is not ours


def server_name(*parts: str) -> str:
    """``notelasso-<user>-<hash of parts>``: one running window per user and configuration."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = "user"
    key = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:12]
    safe = "".join(c for c in user if c.isalnum())[:32] or "user"
    return f"notelasso-{safe}-{key}"


def hand_off(name: str, path: Path, timeout_ms: int = 1500) -> bool:
    """Send ``path`` to the window listening on ``name``; True once it acknowledged it, else False."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        return False
    sock.write(str(path).encode("utf-8") + b"\n")
    if not sock.waitForBytesWritten(timeout_ms):
        return False
    answer = b""
    while ACK not in answer and sock.waitForReadyRead(timeout_ms):
        answer += bytes(sock.readAll().data())
    sock.disconnectFromServer()
    return ACK in answer


def _answers(name: str) -> bool:
    sock = QLocalSocket()
    sock.connectToServer(name)
    alive = sock.waitForConnected(300)
    sock.abort()
    return alive


class HandOffServer(QObject):
    """Listens on ``name``; emits ``file_received(path)`` for each path a later launch sends."""

    file_received = Signal(str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._buffers: dict[QLocalSocket, bytes] = {}
        self._server.newConnection.connect(self._on_new_connection)
        # Qt on Unix replaces a socket file of the same name, so ask first: a window that answers (the
        # first, when this one was launched without a file) keeps taking them.
        if _answers(name):
            log.info("later launches hand their files to another window")
        elif not self._server.listen(name):
            # A socket left by a window that was killed (Windows pipes and Unix files alike): free it.
            QLocalServer.removeServer(name)
            if not self._server.listen(name):
                log.warning("later launches cannot hand files to this window: %s", self._server.errorString())

    @property
    def is_listening(self) -> bool:
        return self._server.isListening()

    def _on_new_connection(self) -> None:
        while (sock := self._server.nextPendingConnection()) is not None:
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda sock=sock: self._on_ready_read(sock))
            sock.disconnected.connect(lambda sock=sock: self._forget(sock))
            sock.disconnected.connect(sock.deleteLater)

    def _on_ready_read(self, sock: QLocalSocket) -> None:
        data = self._buffers.get(sock, b"") + bytes(sock.readAll().data())
        if len(data) > MAX_MESSAGE:
            self._forget(sock)
            sock.abort()
            return
        self._buffers[sock] = data
        if b"\n" not in data:
            return
        line = data.split(b"\n", 1)[0]
        try:
            path = line.decode("utf-8")
        except UnicodeDecodeError:
            sock.abort()
            return
        sock.write(ACK)
        sock.flush()
        self._forget(sock)
        log.info("a later launch handed over a file")
        self.file_received.emit(path)

    def _forget(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
