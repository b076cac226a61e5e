"""Scheduling: the one APScheduler module, the job records, nodes, and the worker that runs beside the web app."""
