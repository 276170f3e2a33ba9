"""Tools for developing the warehouse, not part of the installed package: the sample-data
generator, the benchmark and the headless-browser helper. Run from the checkout (Makefile)."""

from pathlib import Path

# The checkout these tools belong to.
CHECKOUT_DIR = Path(__file__).resolve().parent.parent
