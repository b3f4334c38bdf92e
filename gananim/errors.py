"""Errors that the command line reports as one line, importable without torch (the gallery's
main process imports this before its workers start)."""


class TrainingError(RuntimeError):
    """The game could not be played to the end (it diverged); the message is one line."""
