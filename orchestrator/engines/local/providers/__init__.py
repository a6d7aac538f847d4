"""Built-in resource providers of the local engine, selected by type token."""
