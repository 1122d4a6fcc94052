"""Hook specifications, grouped by domain."""

from framework.hooks import lifecycle, providers

SPEC_MODULES = (providers, lifecycle)

__all__ = ["SPEC_MODULES", "lifecycle", "providers"]
