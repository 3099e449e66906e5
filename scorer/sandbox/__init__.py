"""The sandbox: run untrusted submission code in an isolated child process, one timed call at a
time. ``client`` is the parent side's API (with ``spawn``, ``exchange`` and ``accounting``),
``protocol`` the wire protocol between parent and child, ``launcher``, ``cgroup`` and
``process`` the operating system's isolation, ``child`` the standalone runner inside the child
(never imported)."""
