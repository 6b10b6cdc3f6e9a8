"""The read side of the commune pages (an assignment's page, a unit's open work, a
directive's story) and the coordinator's evidence files."""
