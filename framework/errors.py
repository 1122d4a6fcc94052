"""Errors meant for people: the CLI prints their message and exits with code 2."""


class UserError(Exception):
    """Bad input from the user: a file, a key, a plugin, a path.

    The message is one paragraph that names what is wrong, where, and what
    would be valid. The CLI prints it without a traceback (unless ``--debug``).
    """

    exit_code = 2


class PluginError(UserError):
    """A plugin could not be found, imported or registered."""


class ExperimentError(UserError):
    """An experiment file or override is not valid.

    Attributes:
        problems: One line per problem, each naming its file, line and key path.
    """

    def __init__(self, source: str, problems: list[str], what: str = "experiment") -> None:
        self.source = source
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(f"{source} is not a valid {what} ({count}):\n" + "\n".join(f"  - {p}" for p in problems))


class EnvironmentProblem(UserError):
    """The machine, not the input, is at fault: a missing optional package, a disk, a permission.

    Printed like a :class:`UserError`, but the exit code is 1.
    """

    exit_code = 1


class TrainingFailed(UserError):
    """Training stopped inside ``fit`` because it cannot go on (the loss became NaN, a setting a
    callback found wrong). The run is marked failed; the CLI exits at once (exit code 1, or the
    code of the error it wraps).
    """

    exit_code = 1

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
