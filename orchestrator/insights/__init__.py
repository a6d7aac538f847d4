"""Delivery insights: the four DORA measures, drift and queue trends. Pure: rows in, measures out.

`model.py` holds the rows the store gives (one stack's deployment, a drift finding's open
span, a job's times) and the window; `delivery.py`, `drift.py` and `queue.py` compute the
measures; `measures.py` puts them together for the CLI, the dashboard and `/metrics`.
Nothing here reads a database, a clock or Git: the caller passes rows and the window.
"""
