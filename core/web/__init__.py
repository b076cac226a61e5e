"""The HTTP side: the Litestar app, authentication, metrics, and the kernel's routes per capability."""
