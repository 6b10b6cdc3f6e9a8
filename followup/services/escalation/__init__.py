"""What happens because time passed: the sweep's reminders, progress requests and ladder,
and the next occurrence of a repeating directive."""
