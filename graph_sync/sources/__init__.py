"""Sources other than the exports' files: Entra ID groups read through Graph."""
