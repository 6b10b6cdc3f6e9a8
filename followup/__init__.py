"""followup: directives from government meetings, followed up until done."""
