"""The course's command-line tools, run from the course root as modules: `python -m tools.release`,
`python -m tools.grade LESSON`, `python -m tools.check NOTEBOOK`, ... (README, CONTRIBUTING.md)."""
