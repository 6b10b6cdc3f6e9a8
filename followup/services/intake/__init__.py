"""How meetings come in: meeting files (TOML, YAML, CSV, Excel), their templates, and the
draft of a meeting from a conclusion notice's text."""
