"""Binary content (uploaded images) behind one small interface: a local folder by default."""
