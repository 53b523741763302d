"""Helpers shared by the step modules; behave loads only the modules directly in ``steps/``."""
