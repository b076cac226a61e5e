"""Operators' tasks: bringing the database up to date and checking an installation."""
