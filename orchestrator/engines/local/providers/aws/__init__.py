"""The pulumi-aws types and functions of the local engine: declarative descriptions
(`spec.py`) run by one interpreter (`declared.py`), one module per service under `services/`."""
