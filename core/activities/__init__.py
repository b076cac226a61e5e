"""Activities (活动): what scenes create when something happens at a time, and who each one concerns."""
