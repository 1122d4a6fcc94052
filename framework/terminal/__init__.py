"""Command-line helpers shared by every command: arguments, consoles, signals, opening runs."""
