"""Hook specifications, grouped by domain."""

from framework.hooks import lifecycle, plugins, providers, reports

SPEC_MODULES = (providers, lifecycle, plugins, reports)

__all__ = ["SPEC_MODULES", "lifecycle", "plugins", "providers", "reports"]
