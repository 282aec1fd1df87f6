"""The `evidence` command-line front of the evidence tracker."""

__version__ = "0.1.0"
