"""The runner that executes INSIDE the sandboxed child process.

Never imported by the scorer: ``scorer/sandbox/client.py`` runs it as a script,
``python -s -X utf8 child.py CMD_FD REPLY_FD`` with an environment built from
scratch (not ``-I``: that would also ignore PYTHONHASHSEED=0), inside whatever
isolation is available (bubblewrap or unshare namespaces, rlimits, a cgroup).
It speaks one JSON object
per line: commands arrive on CMD_FD, replies leave on REPLY_FD; the submission's
stdout/stderr are a separate pipe that the parent drains. The first command is
the configuration (paths, allowlist, the submission's own module names).

Order matters: everything the runner itself needs (numpy, json, traceback,
cProfile, tracemalloc) is imported BEFORE the audit hook is armed, so the hook
can be strict about what happens afterwards. Once armed, a refusal writes a
``rule_violation`` reply and ends the process at once, so a submission cannot
catch the exception and carry on.

The hook is defence in depth, not the boundary: code in the same interpreter
can, with enough effort, reach frames (e.g. through stdlib helpers that walk
the stack) and the runner's state. What the submission could then do is still
bounded by the operating system (namespaces, read-only binds, rlimits, cgroup).

Standard library + numpy only; must run on Python >= 3.10.
"""

import builtins
import cProfile
import gc
import importlib
import io
import json
import os
import pstats
import sys
import threading
import traceback
import tracemalloc
import types

import numpy as np

# Python 3.10 has no -P: drop the runner's own folder (the scorer package)
# from the import path so the submission cannot import the scorer.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != _HERE]

CMD_FD = int(sys.argv[1])
REPLY_FD = int(sys.argv[2])
_cmd = os.fdopen(CMD_FD, "rb", buffering=0)
_write = os.write
_exit = os._exit
_getframe = sys._getframe

NUMERIC_KINDS = frozenset("biufc")  # bool, int, uint, float, complex
PROC_FORBIDDEN_EVENTS = (
    "os.system",
    "os.exec",
    "os.fork",
    "os.forkpty",
    "os.posix_spawn",
    "os.spawn",
    "os.kill",
    "os.killpg",
    "subprocess.Popen",
    "pty.spawn",
    "os.startfile",
)
INTROSPECTION_EVENTS = (
    "sys._current_frames",
    "gc.get_objects",
    "gc.get_referrers",
    "gc.get_referents",
    "sys.settrace",
    "sys.setprofile",
)
FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"})
MUTATING_PATH_EVENTS = {
    "os.remove": 1,
    "os.rmdir": 1,
    "os.rename": 2,
    "os.mkdir": 1,
    "os.chmod": 1,
    "os.chown": 1,
    "os.symlink": 2,
    "os.link": 2,
    "os.truncate": 1,
    "os.utime": 1,
    "shutil.rmtree": 1,
    "shutil.copyfile": 2,
    "shutil.move": 2,
    "os.chflags": 1,
    "os.setxattr": 1,
    "os.removexattr": 1,
}
READING_PATH_EVENTS = ("os.listdir", "os.scandir", "glob.glob", "os.chdir", "os.getxattr")


def send(obj):
    data = (json.dumps(obj) + "\n").encode()
    while data:
        data = data[_write(REPLY_FD, data) :]


class State:
    armed = False
    internal = 0  # >0 while the runner itself does something the hook would refuse
    work = ""
    readable = ()
    writable = ()
    allowed = frozenset()
    own = frozenset()
    nonce = None


def _inside(path, roots):
    return any(path == r or path.startswith(r + os.sep) for r in roots)


def _submission_code(filename):
    """Is this code the submission's? Its files, or source it compiled itself
    (exec/compile give "<string>"-like names; the stdlib's frozen modules are
    "<frozen ...>")."""
    return _inside(filename, (State.work,)) or (
        filename.startswith("<") and not filename.startswith("<frozen ")
    )


def submission_frame(start_depth=1):
    """Innermost frame whose code lives in the submission copy, as (relpath, line)."""
    f = _getframe(start_depth)
    while f is not None:
        fn = f.f_code.co_filename
        if _inside(fn, (State.work,)):
            return os.path.relpath(fn, State.work), f.f_lineno
        f = f.f_back
    return None


def refuse(what):
    """End the call as a rule violation; no exception the submission could swallow."""
    where = submission_frame(2)
    loc = f"{where[0]}:{where[1]}: " if where else ""
    try:
        send(
            {
                "status": "rule_violation",
                "nonce": State.nonce,
                "message": f"{loc}refused: {what}",
                "traceback": "",
            }
        )
    finally:
        _exit(86)


def _norm(path):
    if isinstance(path, int):
        return None
    return os.path.realpath(os.fsdecode(os.fspath(path)))


def _check_open(path, mode, flags):
    if isinstance(path, int):
        refuse(f"open() of file descriptor {path}")
    p = _norm(path)
    if p is None:
        return
    if p.startswith("/proc/"):
        tail = p.rsplit("/", 1)[-1]
        if tail in ("clear_refs", "mem", "pagemap"):
            refuse(f"access to {os.fsdecode(path)}")
    write = (mode is not None and any(c in str(mode) for c in "wax+")) or (
        isinstance(flags, int)
        and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND)
    )
    if write:
        if not _inside(p, State.writable):
            refuse(
                f"writing {p} (outside the writable folder: the submission's copy when "
                "scoring, out_dir when training)"
            )
    elif not _inside(p, State.readable):
        refuse(f"reading {p} (outside the submission's folder and the Python/numpy install)")


_MAIN_THREAD = threading.get_ident()
_get_ident = threading.get_ident
_in_hook = set()  # threads inside the hook (per thread: another thread gets no free pass)


def audit(event, args):
    if not State.armed:
        return
    me = _get_ident()
    # The hook itself raises events (sys._getframe): the guard stops the recursion.
    # State.internal exempts only the runner, which runs on the main thread.
    if me in _in_hook or (State.internal and me == _MAIN_THREAD):
        return
    _in_hook.add(me)
    try:
        _audit(event, args)
    finally:
        _in_hook.discard(me)


def _audit(event, args):
    if event == "open":
        _check_open(*args[:3])
    elif event == "tinymlperf.refuse":  # raised by the import guard below
        refuse(str(args[0]))
    elif (
        event.startswith("socket.") or event.startswith("ctypes.") or event in PROC_FORBIDDEN_EVENTS
    ):
        refuse(f"{event} (no network, no processes, no native code)")
    elif event in ("import",):
        _check_new_import(args[0])
    elif event in INTROSPECTION_EVENTS or event == "sys._getframe":
        if _caller_is_submission():
            refuse(f"{event} (introspecting the runner)")
    elif event == "object.__getattr__":
        if len(args) > 1 and args[1] in FRAME_ATTRS and _caller_is_submission():
            refuse(f"frame access .{args[1]} (introspecting the runner)")
    elif event in MUTATING_PATH_EVENTS:
        for a in args[: MUTATING_PATH_EVENTS[event]]:
            p = _norm(a) if isinstance(a, (str, bytes, os.PathLike)) else None
            if p is not None and not _inside(p, State.writable):
                refuse(f"{event} on {p}")
    elif event in READING_PATH_EVENTS:
        a = args[0] if args else None
        p = _norm(a) if isinstance(a, (str, bytes, os.PathLike)) else None
        if p is not None and not _inside(p, State.readable):
            refuse(f"{event} on {p}")
    elif event == "compile":
        # compile(src, "/usr/lib/python3/x.py", ...) would make the submission's
        # code look like the stdlib's to the checks above.
        name = args[1] if len(args) > 1 else None
        if isinstance(name, (str, bytes)) and _caller_is_submission():
            name = os.fsdecode(name)
            if not _submission_code(name) and not _inside(os.path.realpath(name), (State.work,)):
                refuse(f"compile() with the file name {name!r} outside the submission")
    elif event in (
        "pickle.find_class",
        "marshal.load",
        "marshal.loads",
        "code.__new__",
        "sys.addaudithook",
        "cpython.PyInterpreterState_New",
    ):
        if _caller_is_submission():
            refuse(event)


def _caller_is_submission():
    """Is the Python frame that raised the event (just above the hook) submission code?"""
    f = _getframe(3)  # 0: this, 1: _audit, 2: audit, 3: whoever raised the event
    return f is not None and _submission_code(f.f_code.co_filename)


def _importer_file():
    """File of the code that asked for an import, skipping the import machinery."""
    f = _getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if fn.startswith("<frozen importlib") or fn == __file__ or "/importlib/" in fn:
            f = f.f_back
            continue
        return fn
    return None


def _allowed_name(name):
    """numpy, the submission's own modules, or an allowlisted module / a submodule of one."""
    parts = name.split(".")
    if parts[0] == "numpy" or parts[0] in State.own:
        return True
    return any(".".join(parts[:i]) in State.allowed for i in range(1, len(parts) + 1))


def _parent_of_allowed(name):
    # `import concurrent.futures` first loads the package `concurrent` itself.
    return any(a.startswith(name + ".") for a in State.allowed)


def _check_new_import(name):
    fn = _importer_file()
    if (
        fn is not None
        and _submission_code(fn)
        and not _allowed_name(name)
        and not _parent_of_allowed(name)
    ):
        refuse(f"import of {name!r} (not numpy, the submission's own code, or allowlisted stdlib)")


# The import guard and the path hook are reachable from the submission
# (builtins.__import__, sys.path_hooks), and a function's __globals__ is not an
# audited attribute. So they are built in namespaces of their own holding only
# what they need, never this module's globals (State, the reply pipe), and they
# report a refusal through an audit event that the (unreachable) hook handles.
# Compiled under this file's name so their frames count as the runner's.
_GUARD_SOURCE = """
def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    # Statement level: the "import" audit event fires only for modules not yet
    # loaded, and numpy has already loaded os, ctypes, ...
    if level == 0:
        f = getframe(1)
        fn = f.f_code.co_filename if f is not None else ""
        if fn.startswith(WORK_PREFIX) or (fn.startswith("<") and not fn.startswith("<frozen ")):
            ok = allowed(name) or (
                any(x != "*" for x in fromlist or ())
                and all(allowed(name + "." + x) for x in fromlist if x != "*"))
            if not ok:
                # Not a refusal that ends the run: code with a fallback for a missing module
                # (try: import psutil / except ImportError) carries on; code without one fails
                # with this message. The OS sandbox, not this guard, is the boundary.
                raise ModuleNotFoundError(
                    "No module named %r in the sandbox (allowed: numpy, the submission's own "
                    "code and the standard-library allowlist on the Rules page)" % (name,),
                    name=name)
    return real_import(name, globals, locals, fromlist, level)


def allowed(name):
    parts = name.split(".")
    if parts[0] == "numpy" or parts[0] in OWN:
        return True
    return any(".".join(parts[:i]) in ALLOWED for i in range(1, len(parts) + 1))


def work_hook(path):
    # Only .py source from the submission folder: no extension modules or
    # stray .pyc dropped there at run time.
    p = realpath(path)
    if p == WORK or p.startswith(WORK_PREFIX):
        return source_only(path)
    raise ImportError("not the submission's folder")
"""


def _isolated(names, **namespace):
    namespace["__builtins__"] = builtins
    exec(compile(_GUARD_SOURCE, __file__, "exec"), namespace)  # noqa: S102 - our own source
    return [namespace[n] for n in names]


# --- formatting errors ------------------------------------------------------


def _frames(tb):
    out = []
    while tb is not None:
        out.append(tb)
        tb = tb.tb_next
    return out


def _text(exc):
    # str() runs the submission's own __str__: armed, and it may raise.
    try:
        return str(exc)
    except BaseException:  # noqa: B036
        return "<exception text unavailable>"


def describe(exc):
    """(one-line message, traceback tail) pointing into the submission.

    Not State.internal: formatting calls the exception's own methods."""
    loc = None
    for t in _frames(exc.__traceback__):
        fn = t.tb_frame.f_code.co_filename
        if _inside(fn, (State.work,)):
            loc = f"{os.path.relpath(fn, State.work)}:{t.tb_lineno}"
    if (
        isinstance(exc, SyntaxError)
        and isinstance(exc.filename, str)
        and _inside(os.path.realpath(exc.filename), (State.work,))
    ):
        loc = f"{os.path.relpath(os.path.realpath(exc.filename), State.work)}:{exc.lineno}"
    text = _text(exc)
    text = text.splitlines()[0] if text.strip() else ""
    msg = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    try:
        lines = traceback.format_exception(type(exc), exc, tb)
    except BaseException:  # noqa: B036
        lines = [f"{msg}\n"]
    lines = [ln.replace(State.work + os.sep, "") for ln in lines]
    return (f"{loc}: {msg}" if loc else msg), "".join(lines)[-4000:]


# --- commands ----------------------------------------------------------------

NS = {}
MODULE = None


def vmhwm():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reply(status, message="", tb="", **extra):
    State.internal += 1
    try:
        send(
            {
                "status": status,
                "nonce": State.nonce,
                "message": message,
                "traceback": tb,
                "vmhwm": vmhwm(),
                **extra,
            }
        )
    finally:
        State.internal -= 1


def fail(exc, phase):
    msg, tb = describe(exc)
    if isinstance(exc, MemoryError):
        return reply("memory_limit", msg, tb)
    return reply("error", msg, tb)


def join_new_threads(before):
    # Work a call hands to threads still counts towards that call.
    for t in threading.enumerate():
        if t not in before and t is not threading.current_thread():
            t.join()


def do_import(cmd):
    global MODULE
    before = set(threading.enumerate())
    State.armed = True
    try:
        MODULE = importlib.import_module(cmd["module"])
        join_new_threads(before)
    except BaseException as exc:  # noqa: B036 - everything the submission raises is reported
        return fail(exc, "import")
    return reply("ok")


def _short(filename):
    """submission.py, numpy/_core/numeric.py, json/decoder.py: paths relative to the
    submission copy or to the import-path entry that holds them."""
    if _inside(filename, (State.work,)):
        return os.path.relpath(filename, State.work)
    for entry in sorted((p for p in sys.path if p and os.path.isabs(p)), key=len, reverse=True):
        if _inside(filename, (entry,)):
            return os.path.relpath(filename, entry)
    return filename


def _profile_rows(prof, snap):
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (fn, line, func), (_cc, nc, tt, ct, _) in sorted(
        stats.stats.items(), key=lambda kv: -kv[1][2]
    ):
        if fn == __file__ or "_lsprof" in func:
            continue
        rel = _short(fn)
        rows.append(
            {
                "function": func,
                "where": f"{rel}:{line}",
                "calls": nc,
                "tottime": round(tt, 6),
                "cumtime": round(ct, 6),
            }
        )
        if len(rows) == 20:
            break
    allocs = []
    for st in snap.statistics("lineno"):
        fr = st.traceback[0]
        if fr.filename == __file__:
            continue
        rel = _short(fr.filename)
        allocs.append({"where": f"{rel}:{fr.lineno}", "size_bytes": st.size, "count": st.count})
        if len(allocs) == 20:
            break
    return {"hot_functions": rows, "allocations": allocs}


def do_call(cmd):
    fn_name = cmd["fn"]
    fn = getattr(MODULE, fn_name, None)
    if not callable(fn):
        return reply("error", f"{cmd['entry']}: has no function {fn_name!r}")
    args = []
    for kind, v in cmd["args"]:
        if kind == "dict":  # fit's train_split and budget
            value = {}
            for key, (k2, v2) in v:
                if k2 == "ref" and v2 not in NS:
                    return reply("error", f"no input or kept result named {v2!r}")
                value[key] = NS[v2] if k2 == "ref" else v2
            args.append(value)
        elif kind == "ref":
            if v not in NS:
                return reply("error", f"no input or kept result named {v!r}")
            args.append(NS[v])
        else:
            args.append(v)
    prof = None
    before = set(threading.enumerate())
    if cmd.get("profile"):
        State.internal += 1
        tracemalloc.start()
        prof = cProfile.Profile()
        prof.enable()
        State.internal -= 1
    value = invalid = snap = None
    try:
        try:
            result = fn(*args)
            if cmd.get("want_value"):
                try:
                    value = np.asarray(result)
                except BaseException as exc:  # noqa: B036
                    if submission_frame_in(exc):
                        raise
                    invalid = (
                        f"phase '{fn_name}' returned {type(result).__name__}, which is "
                        f"not convertible to a numeric array ({type(exc).__name__}: {exc})"
                    )
        finally:
            if prof is not None:
                State.internal += 1
                prof.disable()
                snap = tracemalloc.take_snapshot()
                tracemalloc.stop()
                State.internal -= 1
        # Work a call hands to threads still counts towards that call.
        join_new_threads(before)
    except BaseException as exc:  # noqa: B036
        return fail(exc, fn_name)
    if invalid is not None:
        return reply("invalid_output", invalid)
    if value is not None and value.dtype.kind not in NUMERIC_KINDS:
        return reply(
            "invalid_output",
            f"phase '{fn_name}' returned {type(result).__name__} with dtype "
            f"{value.dtype} (needs a numeric or bool array)",
        )
    if cmd.get("keep_as"):
        NS[cmd["keep_as"]] = result
    value_file = None
    if value is not None:
        State.internal += 1
        try:
            value_file = os.path.join(cmd["out"], f"value-{cmd['seq']}.npy")
            np.save(value_file, value, allow_pickle=False)
        except BaseException as exc:  # noqa: B036 - e.g. the file-size limit
            return reply(
                "invalid_output",
                f"phase '{fn_name}': the returned value could not be "
                f"handed back ({type(exc).__name__}: {exc})",
            )
        finally:
            State.internal -= 1
    # The parent's clock stops at this reply. Saving the value comes before it, so
    # no reply (not even one forged by the submission) can precede the value.
    reply("ok", value_file=value_file)
    if prof is not None:
        State.internal += 1
        try:
            rows = _profile_rows(prof, snap)
        finally:
            State.internal -= 1
        send({"status": "profile", "nonce": State.nonce, "profile": rows})


def submission_frame_in(exc):
    return any(
        _inside(t.tb_frame.f_code.co_filename, (State.work,)) for t in _frames(exc.__traceback__)
    )


def do_put(cmd):
    State.internal += 1
    try:
        NS[cmd["name"]] = np.load(cmd["file"], allow_pickle=False)
    except BaseException as exc:  # noqa: B036
        return fail(exc, f"put {cmd['name']}")
    finally:
        State.internal -= 1
    reply("ok")


def readline():
    buf = bytearray()
    while not buf.endswith(b"\n"):
        chunk = _cmd.read(1)
        if not chunk:
            _exit(0)
        buf += chunk
    return json.loads(buf)


def main():
    cfg = readline()
    State.work = os.path.realpath(cfg["work"])
    State.writable = tuple(os.path.realpath(p) for p in cfg["writable"])
    # This file too: tracebacks that pass through the runner quote its lines.
    State.readable = (
        tuple(os.path.realpath(p) for p in cfg["readable"])
        + State.writable
        + (os.path.realpath(__file__),)
    )
    State.allowed = frozenset(cfg["allowed"])
    State.own = frozenset(cfg["own"])
    # Events that load weights call load(submission_dir): the path of this copy of the folder.
    NS["submission_dir"] = State.work
    # Training (fit) writes its weights here: the only writable folder of a training run.
    if cfg.get("out_dir"):
        NS["out_dir"] = os.path.realpath(cfg["out_dir"])
    os.chdir(State.work)
    sys.path.insert(0, State.work)
    if cfg.get("lib"):  # the team's shared framework, copied inside the work folder
        sys.path.insert(1, os.path.realpath(cfg["lib"]))
    from importlib.machinery import SOURCE_SUFFIXES, FileFinder, SourceFileLoader

    guarded_import, work_hook = _isolated(
        ("guarded_import", "work_hook"),
        getframe=sys._getframe,
        audit=sys.audit,
        real_import=builtins.__import__,
        realpath=os.path.realpath,
        WORK=State.work,
        WORK_PREFIX=State.work + os.sep,
        OWN=State.own,
        ALLOWED=State.allowed,
        source_only=FileFinder.path_hook((SourceFileLoader, SOURCE_SUFFIXES)),
    )
    sys.path_hooks.insert(0, work_hook)
    sys.path_importer_cache.clear()
    sys.dont_write_bytecode = True
    # Line-buffered, so the tail the parent keeps is current even if we are killed.
    sys.stdout.reconfigure(line_buffering=True)
    builtins.__import__ = guarded_import
    sys.addaudithook(audit)
    # sys.modules["__main__"] would hand this module's globals to anyone with sys.
    sys.modules["__main__"] = types.ModuleType("__main__")
    gc.collect()
    send({"status": "ready", "nonce": None})
    while True:
        cmd = readline()
        State.nonce = cmd.get("nonce")
        op = cmd["op"]
        if op == "import":
            do_import(cmd)
        elif op == "put":
            do_put(cmd)
        elif op == "call":
            do_call(cmd)
        elif op == "exit":
            _exit(0)


if __name__ == "__main__":
    main()
