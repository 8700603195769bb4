"""``notelasso batch``: pre-read a backlog of documents (no Qt). See :mod:`desktop.batch.engine`."""
