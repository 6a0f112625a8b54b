"""Sweeps started from the app: the dialog, the job running the core's worker processes, the
progress window with live curves, and the menu actions tying them to the main window."""
