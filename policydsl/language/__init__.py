"""The language front end: text to a checked, typed program (parse, build, lower, resolve, type-check, IR, printer)."""
