"""The command line's exit codes (README, "The command line"), shared by every subcommand."""

EXIT_OK = 0        # nothing to report
EXIT_FINDINGS = 1  # policy diagnostics, failed scenarios, files fmt would change, lint warnings
EXIT_INPUT = 2     # usage or input errors: a wrong flag, a missing file, bad data
EXIT_INTERNAL = 3  # a bug in policydsl itself (reported without a traceback)
