"""The embedded engine: real Pulumi Python programs, built-in providers, Pulumi-format state."""
