pytest_plugins = ["tests.support.github_standin", "tests.support.gitlab_standin", "tests.support.postgres"]
