"""`python -m cornerstone.cli`: the same as the `cornerstone` command."""

from cornerstone.cli import main

main()
