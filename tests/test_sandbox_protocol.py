"""The wire protocol is spelled once (scorer/sandbox/protocol.py) on the parent's side; the
standalone child (scorer/sandbox/child.py, never imported) keeps its own literals. These tests
read the child's syntax tree and check that every protocol literal it uses is protocol.py's, so
the two sides cannot drift apart. Fast: nothing is run."""

from __future__ import annotations

import ast
from pathlib import Path

from scorer.sandbox import protocol

SANDBOX = Path(protocol.__file__).parent
CHILD = ast.parse((SANDBOX / "child.py").read_text())
ALL_COMMAND_KEYS = {k for keys in protocol.COMMAND_KEYS.values() for k in keys}


def _str(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _calls(tree, name: str) -> list[ast.Call]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
    ]


def _compared_with(tree, name: str) -> set[str]:
    """String literals that the variable ``name`` is compared with (``name == "x"``)."""
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Compare) and isinstance(n.left, ast.Name) and n.left.id == name:
            out |= {s for s in map(_str, n.comparators) if s is not None}
    return out


def _keys_read(tree, name: str) -> set[str]:
    """Keys read from the dict ``name``: ``name["k"]`` and ``name.get("k")``."""
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == name:
            if _str(n.slice) is not None:
                out.add(_str(n.slice))
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "get"
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id == name
            and n.args
            and _str(n.args[0]) is not None
        ):
            out.add(_str(n.args[0]))
    return out


def _sent_dicts(tree) -> list[ast.Dict]:
    return [c.args[0] for c in _calls(tree, "send") if c.args and isinstance(c.args[0], ast.Dict)]


def test_the_child_handles_exactly_the_protocols_commands():
    assert _compared_with(CHILD, "op") == protocol.OPS
    assert {protocol.OP_IMPORT, protocol.OP_PUT, protocol.OP_CALL, protocol.OP_EXIT} == protocol.OPS


def test_every_status_the_child_sends_is_a_protocol_status():
    sent = {_str(c.args[0]) for c in _calls(CHILD, "reply") if c.args}
    for d in _sent_dicts(CHILD):
        for k, v in zip(d.keys, d.values, strict=True):
            # reply() passes its own argument on (checked above at every reply() call).
            if _str(k) == "status" and not (isinstance(v, ast.Name) and v.id == "status"):
                sent.add(_str(v))
    assert None not in sent, "a status the test cannot read as a literal"
    # timeout and crashed are the parent's verdicts, never sent by the child.
    assert sent == protocol.STATUSES - {protocol.STATUS_TIMEOUT, protocol.STATUS_CRASHED}
    assert protocol.FATAL <= protocol.STATUSES


def test_reply_keys_are_the_protocols():
    keys = set()
    for d in _sent_dicts(CHILD):
        keys |= {_str(k) for k in d.keys if k is not None}
    for c in _calls(CHILD, "reply"):
        keys |= {kw.arg for kw in c.keywords if kw.arg is not None}
    assert None not in keys
    assert keys == set(protocol.REPLY_KEYS)


def test_command_and_configuration_keys_are_the_protocols():
    assert _keys_read(CHILD, "cmd") <= ALL_COMMAND_KEYS
    assert _keys_read(CHILD, "cfg") == set(protocol.CONFIG_KEYS)


def test_argument_kinds_are_the_protocols():
    kinds = _compared_with(CHILD, "kind") | _compared_with(CHILD, "k2")
    assert kinds and kinds <= {protocol.ARG_REF, protocol.ARG_LIT, protocol.ARG_DICT}


def test_the_refusal_exit_code_is_the_protocols():
    (refuse,) = [
        n for n in ast.walk(CHILD) if isinstance(n, ast.FunctionDef) and n.name == "refuse"
    ]
    codes = {c.args[0].value for c in _calls(refuse, "_exit")}
    assert codes == {protocol.REFUSAL_EXIT_CODE}


def test_the_child_reads_its_pipes_from_argv_1_and_2():
    fds = {}
    for n in CHILD.body:
        if (
            isinstance(n, ast.Assign)
            and isinstance(n.targets[0], ast.Name)
            and n.targets[0].id in ("CMD_FD", "REPLY_FD")
        ):
            fds[n.targets[0].id] = n.value.args[0].slice.value  # int(sys.argv[N])
    assert fds == {"CMD_FD": 1, "REPLY_FD": 2}


def test_the_parent_sends_only_the_protocols_keys():
    """The parent's command and configuration dicts (client.py, spawn.py) hold protocol keys."""
    for name in ("client.py", "spawn.py", "exchange.py"):
        tree = ast.parse((SANDBOX / name).read_text())
        for n in ast.walk(tree):
            if not isinstance(n, ast.Dict) or not n.keys:
                continue
            keys = {_str(k) for k in n.keys}
            if "op" in keys:
                (op,) = [v for k, v in zip(n.keys, n.values, strict=True) if _str(k) == "op"]
                assert isinstance(op, ast.Name) and op.id.startswith("OP_"), name
                allowed = set(protocol.COMMAND_KEYS[getattr(protocol, op.id)])
                assert keys <= allowed, (name, keys - allowed)
            elif "work" in keys:
                assert keys == set(protocol.CONFIG_KEYS), name
