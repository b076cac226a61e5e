"""The console: server-rendered pages for staff (Jinja2 + htmx) and residents' secret-link pages."""
