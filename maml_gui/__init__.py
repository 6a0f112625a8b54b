"""MAML Studio: experiment with MAML-family meta-learning."""

__version__ = "0.1.0"
