"""Static checks of a submission folder, without running it: rules, metadata, starters."""
