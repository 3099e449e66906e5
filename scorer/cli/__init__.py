"""The ``tinymlperf`` command line: ``main`` parses arguments and catches the one error family,
each command is its own module (``validate``, ``run``, ``score``, ``build``, ...) with its arguments
and a ``run(args)`` that calls the engine; ``common`` holds what they share."""
