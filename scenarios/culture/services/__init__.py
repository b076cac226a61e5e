"""Culture's services, an aggregate a module: common (shared helpers), troupes, venues, plans, shows, figures, switching, reminders."""
