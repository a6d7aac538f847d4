"""Alerts people act on: deploy failed, stack locked too long, gate waiting, rollback performed.

`events.py` decides what to say (pure), `messages.py` how (Slack text or a generic JSON event),
`send.py` sends it once per event (a key claimed in the database) in the background, with a
timeout. Drift keeps its own message (drift/notify.py) and honours the same `notify.events`.
"""
