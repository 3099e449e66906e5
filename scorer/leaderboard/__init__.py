"""The leaderboard's rules over result records: rankings, categories, badges earned, records."""
