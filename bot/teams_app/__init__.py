"""The Teams app package a city installs: manifest, English strings and icons, in one zip."""
