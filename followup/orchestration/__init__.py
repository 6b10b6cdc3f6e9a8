"""Prefect as seen from our side: how a directive's run suspends (keys), what its resume form
offers and shows, and how runs are started, woken and repaired from outside.

Services never import Prefect; this package is the adapter between them and the tasks and
flows (layers: services ← orchestration ← tasks ← flows).
"""
