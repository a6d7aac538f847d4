"""Server mode (`orchestrator serve`): webhooks in, a persistent job queue, workers, the drift
scheduler, pull mode, metrics. Nothing here is imported by the CLI at start-up."""
