"""The coordinators' desk: Prefect's server behind followup's sign-in (see `gate`)."""
