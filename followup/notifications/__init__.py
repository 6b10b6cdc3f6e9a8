"""Notices: rendering e-mails from templates, the transactional outbox, and the SMTP dispatcher."""
