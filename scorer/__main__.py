"""Lets ``python -m scorer`` behave exactly like the ``tinymlperf`` command."""

from scorer.cli import main

raise SystemExit(main())
