def register(app):
    """placeholder"""
