"""Prefect flows: each directive is one flow run that reconciles from our database and waits.

Flows orchestrate; tasks do the I/O through the service layer. Nothing here is the source of
truth: a lost run is started again from the database (`followup repair`).
"""
