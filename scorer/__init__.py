"""TinyMLPerf scorer: validates, scores and publishes submissions.

Run ``tinymlperf --help`` (or ``python -m scorer --help``) for the commands.
"""

__version__ = "0.7.1"
