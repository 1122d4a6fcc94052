"""Hook specifications, grouped by domain."""

from framework.hooks import lifecycle, plugins, providers

SPEC_MODULES = (providers, lifecycle, plugins)

__all__ = ["SPEC_MODULES", "lifecycle", "plugins", "providers"]
