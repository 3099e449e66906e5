"""Lets ``python -m scorer`` behave exactly like the ``tinymlperf`` command."""

from scorer.cli.main import main

raise SystemExit(main())
