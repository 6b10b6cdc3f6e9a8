"""Prefect tasks: thin boundaries that call a service and return a small result.

Tasks take codes and small dataclasses, never ORM objects or sessions; every rule lives in
the services. Flows (`followup.flows`) only sequence them and wait.
"""
