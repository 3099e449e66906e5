"""The scoring engine: datasets, the events' measured runs, rounds against the baseline, statistics,
reproduction of trained weights and profiling. The only stage that runs submission code."""
