"""The write side: every action is a command (`commands`) with one handler, carried out by
`bus.execute` in one transaction and then woken on the orchestrator."""
