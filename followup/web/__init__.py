"""The commune pages: what a unit opens from the links in its e-mail (no account needed)."""
