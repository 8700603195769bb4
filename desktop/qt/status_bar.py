"""What the window says about itself: the status-bar fields, the back-end banner and the review banner.

Both only show what they are told; the window wires them to the parts whose state they show.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStatusBar, QWidget

__all__ = ["BackendBanner", "ReviewBanner", "StatusFields", "TurnBanner"]


class StatusFields:
    """Permanent fields of a status bar: regions reviewed, last latency, back end, remote badge."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        self.remote_badge = QLabel()
        self.remote_badge.setObjectName("remoteBadge")
        self.remote_badge.hide()
        self.backend = QLabel("Loading model…")
        self.latency = QLabel("")
        self.counts = QLabel("")
        self.second_reader = QLabel("")  # names the second reader while it is on
        self.second_reader.setObjectName("secondReaderField")
        self.second_reader.hide()
        for w in (self.counts, self.latency, self.second_reader, self.backend, self.remote_badge):
            bar.addPermanentWidget(w)

    def show_remote(self, host: str) -> None:
        """A red badge naming the server page regions are sent to; hidden for "" (on this machine)."""
        self.remote_badge.setVisible(bool(host))
        self.remote_badge.setText(f"REMOTE: {host}" if host else "")
        self.remote_badge.setToolTip("Page regions are sent to this server for recognition." if host else "")

    def show_backend(self, text: str) -> None:
        self.backend.setText(text)

    def show_second_reader(self, text: str) -> None:
        """The second reader's name while it is on ("" hides the field)."""
        self.second_reader.setText(text)
        self.second_reader.setVisible(bool(text))

    def show_latency(self, ms: float) -> None:
        self.latency.setText(f"{ms:.0f} ms")

    def show_counts(self, regions: int, reviewed: int) -> None:
        """Regions in the whole document, and how many of them a person corrected or verified."""
        plural = "s" if regions != 1 else ""
        self.counts.setText(f"{regions} region{plural} in the document · {reviewed} reviewed" if regions else "")

    def show_backend_failed(self, message: str, no_model: bool) -> None:
        """Recognition cannot run: say so here, and the first sentence of why in passing."""
        self.backend.setText("No recognition model" if no_model else "Recognition unavailable")
        self.message(message.split(".")[0], 8000)

    def show_auto_turn(self, turn: int) -> None:
        """A region's text was read turned ``turn`` degrees (0: upright, nothing to say)."""
        if turn:
            self.message(
                f"The text in this region runs sideways: it was read turned {turn}\N{DEGREE SIGN}. "
                "If the whole page is sideways, turn it with Ctrl+].",
                12000,
            )

    def message(self, text: str, ms: int = 0) -> None:
        """A passing message (``ms`` 0: until the next one)."""
        self.bar.showMessage(text, ms)

    def clear_message(self) -> None:
        self.bar.clearMessage()


class _Strip(QWidget):
    """A strip above the page: a wrapped message, then its buttons; hidden until there is something to say."""

    def __init__(self, name: str, buttons: list[QPushButton], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.label = QLabel()
        self.label.setWordWrap(True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 6, 12, 6)
        lay.addWidget(self.label, 1)
        for button in buttons:
            lay.addWidget(button)
        self.hide()


class BackendBanner(_Strip):
    """A strip above the page when recognition is unavailable, with a way to the settings."""

    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        button = QPushButton("Settings…")
        super().__init__("banner", [button], parent)
        button.clicked.connect(self.settings_requested)

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()


class ReviewBanner(_Strip):
    """A strip above the page saying how the review was opened: read-only (another window edits it, or
    its folder cannot be written), salvaged from a damaged file, started from a copy. Hidden when all is well."""

    def __init__(self, parent: QWidget | None = None) -> None:
        close = QPushButton("OK")
        close.setToolTip("Hide this message (a read-only review stays read-only)")
        super().__init__("reviewBanner", [close], parent)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        close.clicked.connect(self.hide)

    def show_review(self, read_only: bool, text: str) -> None:
        """Show ``text`` (hide for ""); a read-only review is announced first, in capitals."""
        self.setProperty("readOnly", read_only)
        self.style().unpolish(self)
        self.style().polish(self)
        if not text and not read_only:
            self.hide()
            return
        self.label.setText(f"READ-ONLY: changes to this review cannot be saved here. {text}" if read_only else text)
        self.show()


class TurnBanner(_Strip):
    """A strip above the page when the recogniser had to turn a region to read it: the page looks
    turned, and one button turns it the same way (so the next regions are drawn and read upright)."""

    turn_requested = Signal(int)  # clockwise degrees

    def __init__(self, parent: QWidget | None = None) -> None:
        turn_button, dismiss = QPushButton("Turn the page"), QPushButton("Dismiss")
        super().__init__("turnBanner", [turn_button, dismiss], parent)
        self.turn = 0
        self.button = turn_button
        self.button.clicked.connect(self._on_turn)
        dismiss.clicked.connect(self.hide)

    def offer(self, turn: int) -> None:
        """A region was read turned ``turn`` degrees clockwise: offer that turn (0: nothing to offer)."""
        if not turn % 360:
            return
        self.turn = turn % 360
        self.label.setText(
            f"This page looks turned: the last region was read turned {self.turn}\N{DEGREE SIGN}. "
            "Turn the page so its text is upright?"
        )
        self.button.setText(f"Turn the page {self.turn}\N{DEGREE SIGN} (Ctrl+])")
        self.show()

    def _on_turn(self) -> None:
        self.hide()
        self.turn_requested.emit(self.turn)
