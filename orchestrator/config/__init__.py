"""Configuration: strict models, loading, discovery of stacks/ and environments/."""

from orchestrator.config.load import load_repository
from orchestrator.config.resolved import Environment, Project, RepoConfig

__all__ = ["Environment", "Project", "RepoConfig", "load_repository"]
