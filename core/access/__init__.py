"""Access: staff accounts and roles of the 2+1+N+X grid team, principals and scopes, logins and tokens, the audit log."""
