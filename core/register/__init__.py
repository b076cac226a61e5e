"""The register (台账): communities and their brands, grids, buildings, households, residents, departments, scenarios switched on."""
