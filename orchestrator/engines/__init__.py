"""Engines: pulumi (the real CLI through the Automation API) and local (embedded)."""
