"""The sandbox: run untrusted submission code in an isolated child process, one timed call at a
time. ``client`` is the parent side, ``isolation`` the launchers and cgroups, ``child`` the
standalone runner inside the child (never imported)."""
