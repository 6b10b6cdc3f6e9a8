"""The pages, one module each: healthz, the confirmation page (GET /a/…), the action
(POST /a/…), the unit's page (GET /u/…), and the pages for errors."""
