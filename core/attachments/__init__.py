"""Attachments (附件): photos and documents on a scene's rows, stored on disk by content hash, served only through scoped routes."""
