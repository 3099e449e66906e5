"""The ``tinymlperf`` command line: ``main`` parses arguments and catches the one error family,
``commands`` turns them into calls of the engine."""
