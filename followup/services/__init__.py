"""The service layer: every action is one transaction (state + audit event + notices)."""
