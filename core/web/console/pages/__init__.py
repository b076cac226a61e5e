"""The kernel's console pages, one module per area."""
