"""Pure rules of followup: states, working days, escalation, status. No I/O, `now` passed in."""
