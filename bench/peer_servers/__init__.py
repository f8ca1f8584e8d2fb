"""The peers the project is measured against (`bench.peers`): BentoML and MLServer serving the
project's own fast network, each as its docs show, each run from a venv of its own."""
