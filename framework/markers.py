"""Hook markers for the ``hoh`` project.

Plugins decorate their hook implementations with :data:`hookimpl`; the core
declares the hook specifications with :data:`hookspec`.
"""

import pluggy

PROJECT_NAME = "hoh"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

CORE_PLUGIN = "hoh-core"
"""The name the core's own hook implementations (:mod:`framework.default_hooks`) are registered under."""
