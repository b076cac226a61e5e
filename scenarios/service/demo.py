"""Demo data for service: placeholder filled in below."""
