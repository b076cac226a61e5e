"""The scene plugins (场景) shipped with meihao; each is its own package and Piccolo app."""
