"""Volunteering (志愿服务): service records with hours verified by staff, and a points (积分) ledger every scene can use."""
