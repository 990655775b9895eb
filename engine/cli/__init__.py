"""The `kehoach` command: one module per group of subcommands."""
