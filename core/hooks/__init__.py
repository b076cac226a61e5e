"""The plugin system: the hook specifications, the declarations plugins hand over, the manager that loads them."""
