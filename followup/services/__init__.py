"""The service layer, by feature: every action is one transaction (state + audit event +
notices), and no package imports another in a circle (`.importlinter`).

- `write/`: the commands, their handlers and `bus.execute` (the only way anything changes);
- `escalation/`: the sweep (reminders, progress requests, the ladder) and repeating
  directives;
- `reporting/`: the four-way status, period reports and their files, audit queries, digests;
- `intake/`: meeting files, spreadsheets and templates, and drafting from a conclusion notice;
- `read/`: what the commune pages and the coordinator's evidence commands read.

Below them, shared by all: `context` (settings, engine, clock, waker), `ports` (the waker),
`refs` (how a person names an assignment), `queries` (loading rows by code), `notices`
(rendering an action's e-mails into the outbox) and `tracking` (when an assignment is next
looked at).
"""
