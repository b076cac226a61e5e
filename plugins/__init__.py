"""Kernel extensions shipped with meihao that are not scenes (delivery channels, feeds, …)."""
