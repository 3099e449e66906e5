"""The static site: ``build`` turns submissions/, results/ and awards.yml into pages, exports, charts
and badges. Never runs submission code and never imports the sandbox or the scoring engine."""
