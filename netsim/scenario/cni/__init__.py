"""See the modules of this package; registries live in named modules, never here."""
