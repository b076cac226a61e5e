"""The register (台账): communities and their brands, grids, buildings, households, residents, their personal data."""
