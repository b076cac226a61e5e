"""The kernel's HTTP API, one module per capability; each module's ``HANDLERS`` lists what it mounts."""
