"""The catalogue: specialties and the public doctor directory, with their loaders."""
