"""hoh's own sub-commands: one list, in the order ``hoh --help`` shows them.

Each command is a :class:`framework.commands.Command` defined next to its handler, exactly as a
plugin's ``hoh_commands`` returns them. A new built-in command is that module plus one line here.
"""

from __future__ import annotations

from framework.bench.command import COMMAND as BENCH
from framework.cli.completion import COMMAND as COMPLETION
from framework.cli.data_commands import DATA, PREVIEW
from framework.cli.inspect_commands import PLUGINS, SCHEMA, VALIDATE
from framework.cli.predict_command import COMMAND as PREDICT
from framework.cli.run_command import COMMAND as RUN
from framework.commands import Command
from framework.evaluation.command import COMMAND as EVALUATE
from framework.export.command import COMMAND as EXPORT
from framework.runs.command import COMMAND as RUNS
from framework.runs.compare import COMMAND as COMPARE

BUILTIN_COMMANDS: tuple[Command, ...] = (
    RUN,
    VALIDATE,
    SCHEMA,
    PLUGINS,
    DATA,
    PREVIEW,
    PREDICT,
    EVALUATE,
    EXPORT,
    RUNS,
    COMPARE,
    BENCH,
    COMPLETION,
)
BUILTIN_NAMES = frozenset(command.name for command in BUILTIN_COMMANDS)
