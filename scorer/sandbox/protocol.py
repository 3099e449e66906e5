"""The wire protocol between the parent (``scorer/sandbox/client.py``) and the child
(``scorer/sandbox/child.py``), spelled once.

The child is standalone (never imported, imports nothing of the scorer), so it keeps its own
literals; ``tests/test_sandbox_protocol.py`` parses it and checks that every protocol literal
it uses is one defined here, so the two sides cannot drift.

File descriptors
    The child runs as ``python -s -X utf8 child.py CMD_FD REPLY_FD``: two pipes the parent
    passes in (``pass_fds``), CMD_FD for commands (parent -> child), REPLY_FD for replies
    (child -> parent). The child's stdout and stderr are a third pipe, drained by the parent
    (only the tail is kept); nothing on it is protocol.

Framing
    One JSON object per line (UTF-8, ``\\n``-terminated) in both directions. A reply line longer
    than ``MAX_REPLY_BYTES``, or one that is not a JSON object, ends the child (``crashed``):
    replies are a few hundred bytes, arrays travel as ``.npy`` files, never on the pipe.

Messages, in order (the implicit state machine)
    1. parent -> child: the configuration, the first line, without an ``op``: ``CONFIG_KEYS``
       (``work``, ``writable``, ``readable``, ``out_dir``, ``allowed``, ``own``, ``lib``).
    2. child -> parent: ``{"status": "ready", "nonce": null}`` once the audit hook is armed.
       Nothing else may come first; anything else ends the run in ``start()``.
    3. parent -> child: ``{"op": "import", "module", "nonce"}``, exactly once, first.
       A reply other than ``ok`` ends the run (nothing is left to call).
    4. Then any number, in any order, of
       ``{"op": "put", "name", "file", "nonce"}`` (an input as an .npy file; reply ``ok``, else
       ``error`` or ``memory_limit``) and ``{"op": "call", "fn", "args", "keep_as",
       "want_value", "profile", "seq", "entry", "out", "nonce"}``. ``args`` is a list of
       ``[kind, value]`` pairs, kind ``ARG_REF`` (the name of an input or kept result),
       ``ARG_LIT`` (a number) or ``ARG_DICT`` (a list of ``[key, [kind, value]]`` pairs, ref
       or lit). A call's ``ok`` reply carries ``value_file`` (an .npy under ``out``, or null);
       with ``profile`` it is followed by one more line,
       ``{"status": "profile", "nonce", "profile"}``.
    5. parent -> child: ``{"op": "exit"}`` from ``close()``; the child exits with code 0.
       The child also exits (0) when CMD_FD reaches end of file.

    One command is in flight at a time: the parent sends the next only after the reply (and
    the profile line) of the last. Every command carries a fresh random ``nonce`` that the
    reply must echo; a reply with another nonce is a forged one (``rule_violation``).

Replies
    ``REPLY_KEYS``: ``status`` (one of ``STATUSES``), ``nonce``, ``message``, ``traceback``,
    ``vmhwm`` (what the child says its peak is: a hint only, never trusted), plus
    ``value_file`` / ``profile`` as above. After a status in ``FATAL`` the child is gone and
    the parent repeats that status for every later command without sending it. A refusal by
    the child's audit hook is a ``rule_violation`` reply, after which the child exits with
    ``REFUSAL_EXIT_CODE`` at once.
"""

from __future__ import annotations

import re

# Reply lines longer than this end the child instead of growing the scorer's buffer.
MAX_REPLY_BYTES = 1024**2

# Commands (the "op" of every line after the configuration).
OP_IMPORT = "import"
OP_PUT = "put"
OP_CALL = "call"
OP_EXIT = "exit"
OPS = frozenset({OP_IMPORT, OP_PUT, OP_CALL, OP_EXIT})

# Reply statuses.
STATUS_READY = "ready"  # the child's first line
STATUS_OK = "ok"
STATUS_ERROR = "error"
STATUS_TIMEOUT = "timeout"  # set by the parent (wall clock, SIGXCPU), never sent by the child
STATUS_MEMORY_LIMIT = "memory_limit"
STATUS_RULE_VIOLATION = "rule_violation"
STATUS_INVALID_OUTPUT = "invalid_output"
STATUS_CRASHED = "crashed"  # set by the parent, never sent by the child
STATUS_PROFILE = "profile"  # the extra line after a profiled call's ok
STATUSES = frozenset(
    {
        STATUS_READY,
        STATUS_OK,
        STATUS_ERROR,
        STATUS_TIMEOUT,
        STATUS_MEMORY_LIMIT,
        STATUS_RULE_VIOLATION,
        STATUS_INVALID_OUTPUT,
        STATUS_CRASHED,
        STATUS_PROFILE,
    }
)
# Statuses after which the child is gone; later calls repeat the status at once.
FATAL = frozenset({STATUS_TIMEOUT, STATUS_MEMORY_LIMIT, STATUS_CRASHED, STATUS_RULE_VIOLATION})

# The kinds of a call's arguments on the wire.
ARG_REF = "ref"
ARG_LIT = "lit"
ARG_DICT = "dict"

# Keys of the configuration, of each command and of the replies.
CONFIG_KEYS = ("work", "writable", "readable", "out_dir", "allowed", "own", "lib")
COMMAND_KEYS = {
    OP_IMPORT: ("op", "module", "nonce"),
    OP_PUT: ("op", "name", "file", "nonce"),
    OP_CALL: (
        "op",
        "fn",
        "args",
        "keep_as",
        "want_value",
        "profile",
        "seq",
        "entry",
        "out",
        "nonce",
    ),
    OP_EXIT: ("op",),
}
REPLY_KEYS = ("status", "nonce", "message", "traceback", "vmhwm", "value_file", "profile")

# The child's exit code after an audit-hook refusal (its rule_violation reply comes first).
REFUSAL_EXIT_CODE = 86

# Names on the wire (inputs, kept results, functions, dict keys) are identifiers.
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
