pytest_plugins = ["tests.support.github_standin"]
