"""Platform specs: settings, health, migrations, session safety, commands."""
